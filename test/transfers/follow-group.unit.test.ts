import { describe, expect, test } from 'vitest';
import { followGroup, type GroupConnection } from '../../src/eventstore/follow-group.js';

/** A connection that delivers `deliveries` then fails with `error` (or ends when there is none); records what happened to it. */
function connection(log: string[], name: string, deliveries: readonly number[], error?: Error): GroupConnection<number> {
  return {
    async *deliveries() {
      for (const d of deliveries) yield d;
      if (error) throw error;
    },
    async close() {
      log.push(`close ${name}`);
    },
  };
}

/** followGroup over scripted connections; stops once `sleeps` back-offs were waited (or as `stopWhen` says). */
async function follow(scripts: readonly { deliveries: readonly number[]; error?: Error }[], options: { sleeps: number; stopWhen?: (delivery: number) => boolean }) {
  const log: string[] = [];
  const waits: number[] = [];
  const dropped: unknown[] = [];
  let stopping = false;
  let opened = 0;
  await followGroup(
    () => {
      const script = scripts[Math.min(opened, scripts.length - 1)]!;
      return connection(log, `#${opened++}`, script.deliveries, script.error);
    },
    async (_, delivery) => {
      log.push(`consume ${delivery}`);
      if (options.stopWhen?.(delivery)) stopping = true;
    },
    {
      stopping: () => stopping,
      onDropped: (err) => dropped.push(err),
      settle: async () => {
        log.push('settle');
      },
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length >= options.sleeps) stopping = true;
      },
    },
  );
  return { log, waits, dropped, opened };
}

describe('followGroup: one persistent subscription connection after another until stopped', () => {
  const down = new Error('UNAVAILABLE');

  test('connections failing at once back off 100 ms, doubling, up to 5 s; each drop is reported, settled and closed', async () => {
    const r = await follow([{ deliveries: [], error: down }], { sleeps: 9 });
    expect(r.waits).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(r.dropped).toEqual(Array(9).fill(down));
    expect(r.opened).toBe(9);
    expect(r.log.slice(0, 4)).toEqual(['settle', 'close #0', 'settle', 'close #1']);
  });

  test('a connection that delivered starts the back-off again at 100 ms', async () => {
    const r = await follow([{ deliveries: [], error: down }, { deliveries: [], error: down }, { deliveries: [1, 2], error: down }, { deliveries: [], error: down }], { sleeps: 5 });
    expect(r.waits).toEqual([100, 200, 100, 200, 400]);
    expect(r.log.filter((l) => l.startsWith('consume'))).toEqual(['consume 1', 'consume 2']);
  });

  test('a connection that ends without an error is reopened after the back-off, not reported as dropped', async () => {
    const r = await follow([{ deliveries: [7] }], { sleeps: 2 });
    expect(r.waits).toEqual([100, 100]);
    expect(r.dropped).toEqual([]);
    expect(r.opened).toBe(2);
  });

  test('stopping: the failure it causes is no drop, nothing waits, the connection is settled and closed, nothing reopens', async () => {
    const r = await follow([{ deliveries: [1, 2, 3], error: new Error('CANCELLED: closed by stop()') }], { sleeps: 100, stopWhen: (d) => d === 3 });
    expect(r).toMatchObject({ waits: [], dropped: [], opened: 1 });
    expect(r.log).toEqual(['consume 1', 'consume 2', 'consume 3', 'settle', 'close #0']);
  });
});
