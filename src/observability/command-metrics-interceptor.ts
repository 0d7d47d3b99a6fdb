import { ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { secondsSince, type CallOutcome, type LedgerMetrics } from './metrics.js';

/**
 * The gRPC status of an answer as an outcome label, for calls measured at
 * the transport, where the refusal's reason is not known: `ok`, `invalid`,
 * `unavailable`, `internal` as in CallOutcome, and any other status by its
 * own name in lower case (`failed_precondition`, `aborted`, `not_found`, …),
 * never folded into a vaguer word. The API's own calls are measured in
 * src/grpc/unary-call.ts, which knows the reason.
 */
export function outcomeOfStatus(code: status): CallOutcome {
  switch (code) {
    case status.OK: return 'ok';
    case status.INVALID_ARGUMENT: return 'invalid';
    case status.UNAVAILABLE: return 'unavailable';
    case status.INTERNAL:
    case status.UNKNOWN:
    case status.DATA_LOSS: return 'internal';
    default: return (status[code] ?? `status_${code}`).toLowerCase();
  }
}

/**
 * Counts and times every call of one gRPC service (by default the public
 * AccountCommands) by method and answer status, without touching the
 * handlers: pass it in the grpc-js Server's `interceptors` option.
 */
export function commandMetricsInterceptor(metrics: LedgerMetrics, service = 'ledger.v1.AccountCommands'): ServerInterceptor {
  const prefix = `/${service}/`;
  return (method, call) => {
    if (!method.path.startsWith(prefix)) return new ServerInterceptingCall(call);
    const commandType = method.path.slice(prefix.length);
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = (code: status): void => {
      if (recorded) return;
      recorded = true;
      metrics.commandHandled(commandType, outcomeOfStatus(code), secondsSince(started));
    };
    return new ServerInterceptingCall(call, {
      // A client that gives up never gets a status; count it as cancelled.
      start: (next) => next({ onCancel: () => record(status.CANCELLED) }),
      sendStatus: (answer, next) => { record(answer.code); next(answer); },
    });
  };
}
