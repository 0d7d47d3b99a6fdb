import type { EventEmitter } from 'node:events';

/**
 * A view of a streaming call whose incoming messages pass a gate before the
 * handler sees them: `passes` drops a message by answering false (and may
 * answer the client itself), `ended` false keeps 'end' from the handler once
 * the gate has answered the call. Everything else is the call itself, so the
 * handler and ResponseFrames work on the view unchanged.
 */
export const gatedCall = <C extends EventEmitter>(call: C, passes: (message: unknown) => boolean, ended: () => boolean): C =>
  new Proxy(call, {
    get(target, prop) {
      if (prop === 'on' || prop === 'addListener') {
        return (event: string | symbol, listener: (...args: unknown[]) => void) => {
          if (event === 'data') return target.on(event, (m: unknown) => (passes(m) ? listener(m) : undefined));
          if (event === 'end') return target.on(event, () => (ended() ? listener() : undefined));
          return target.on(event, listener);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
