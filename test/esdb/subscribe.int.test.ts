import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BACKWARDS,
  END,
  START,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type Position,
  type ResolvedEvent,
} from './client-under-test.js';
import { collect, deposits, startFixture, uniqueStream, type EsdbFixture } from './esdb-fixture.js';

let f: EsdbFixture;
beforeAll(async () => {
  // With the standard projections: filters must test each record's own stream, links included.
  f = await startFixture({ systemProjections: true });
});
afterAll(() => f.close());

/** Collects events until `until` says stop, then unsubscribes. */
const take = async (
  sub: AsyncIterable<ResolvedEvent> & { unsubscribe(): Promise<void> },
  until: (seen: ResolvedEvent[]) => boolean,
): Promise<ResolvedEvent[]> => {
  const seen: ResolvedEvent[] = [];
  for await (const e of sub) {
    seen.push(e);
    if (until(seen)) break;
  }
  await sub.unsubscribe();
  return seen;
};

const amounts = (events: ResolvedEvent[]): number[] => events.map((e) => (e.event?.data as { amount: number }).amount);

describe('subscribing to a stream', () => {
  test('from the start: history, then caught up, then live events, none missed or repeated', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(5));
    const sub = f.client.subscribeToStream(stream, { fromRevision: START });
    let caughtUpAfter = -1;
    const seen: ResolvedEvent[] = [];
    sub.on('caughtUp', () => {
      caughtUpAfter = seen.length;
    });
    const writer = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 5; i < 45; i += 10) await f.client.appendToStream(stream, deposits(10, i));
    })();
    for await (const e of sub) {
      seen.push(e);
      if (seen.length === 45) break;
    }
    await sub.unsubscribe();
    await writer;
    expect(amounts(seen)).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
    expect(caughtUpAfter).toBeGreaterThanOrEqual(5);
  });

  test('from a revision starts after it; from the end gets only new events', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(4));
    const fromRev = f.client.subscribeToStream(stream, { fromRevision: 1n });
    const fromEnd = f.client.subscribeToStream(stream, { fromRevision: END });
    await new Promise((r) => setTimeout(r, 100));
    await f.client.appendToStream(stream, deposits(2, 4));
    expect(amounts(await take(fromRev, (s) => s.length === 4))).toEqual([3, 4, 5, 6]);
    expect(amounts(await take(fromEnd, (s) => s.length === 2))).toEqual([5, 6]);
  });

  test('a stream that does not exist yet is waited for', async () => {
    const stream = uniqueStream();
    const sub = f.client.subscribeToStream(stream);
    setTimeout(() => void f.client.appendToStream(stream, deposits(1)), 100);
    expect(amounts(await take(sub, (s) => s.length === 1))).toEqual([1]);
  });

  test('resolveLinkTos on $ce- delivers the linked events', async () => {
    const category = `cat${Date.now()}`;
    const sub = f.client.subscribeToStream(`$ce-${category}`, { resolveLinkTos: true });
    await new Promise((r) => setTimeout(r, 50));
    await f.client.appendToStream(`${category}-1`, deposits(2));
    await f.client.appendToStream(`${category}-2`, deposits(1, 2));
    const seen = await take(sub, (s) => s.length === 3);
    expect(seen.map((e) => e.event?.streamId)).toEqual([`${category}-1`, `${category}-1`, `${category}-2`]);
    expect(seen.every((e) => e.link?.type === '$>')).toBe(true);
  });
});

describe('subscribing to $all', () => {
  test('from a position starts after it, and follows live appends in order', async () => {
    const stream = uniqueStream('pos');
    const first = await f.client.appendToStream(stream, deposits(3));
    const sub = f.client.subscribeToAll({ fromPosition: first.position!, filter: streamNameFilter({ prefixes: [stream] }) });
    await f.client.appendToStream(stream, deposits(3, 3));
    expect(amounts(await take(sub, (s) => s.length === 3))).toEqual([4, 5, 6]);
  });

  test('from the end gets only what is appended afterwards', async () => {
    const stream = uniqueStream('endall');
    await f.client.appendToStream(stream, deposits(3));
    const sub = f.client.subscribeToAll({ fromPosition: END, filter: streamNameFilter({ prefixes: [stream] }) });
    await new Promise((r) => setTimeout(r, 100));
    await f.client.appendToStream(stream, deposits(1, 3));
    expect(amounts(await take(sub, (s) => s.length === 1))).toEqual([4]);
  });

  test('stream-prefix, event-type regex and exclude-system filters select the right events', async () => {
    const tag = `f${Date.now()}`;
    await f.client.appendToStream(`${tag}_a`, [jsonEvent({ type: `${tag}A`, data: {} }), jsonEvent({ type: `${tag}B`, data: {} })]);
    await f.client.appendToStream(`other_${tag}`, [jsonEvent({ type: `${tag}A`, data: {} }), jsonEvent({ type: 'Done', data: {} })]);
    const byStream = await take(f.client.subscribeToAll({ filter: streamNameFilter({ prefixes: [`${tag}_`] }) }), (s) => s.length === 2);
    expect(byStream.map((e) => e.event?.streamId)).toEqual([`${tag}_a`, `${tag}_a`]);
    const byType = await take(f.client.subscribeToAll({ filter: eventTypeFilter({ regex: `^${tag}A$` }) }), (s) => s.length === 2);
    expect(byType.map((e) => e.event?.streamId)).toEqual([`${tag}_a`, `other_${tag}`]);
    const noSystem = await take(f.client.subscribeToAll({ filter: excludeSystemEvents() }), (s) => s.some((e) => e.event?.type === 'Done'));
    expect(noSystem.every((e) => !e.event!.type.startsWith('$'))).toBe(true);
    expect(noSystem.length).toBeGreaterThanOrEqual(4);
  });

  test('a filtered subscription reports a checkpoint every window x multiplier records it looked at, matching or not', async () => {
    const stream = uniqueStream('chk');
    const start = await f.client.appendToStream(stream, deposits(1));
    const checkpoints: Position[] = [];
    const sub = f.client.subscribeToAll({
      fromPosition: start.position!,
      filter: streamNameFilter({
        prefixes: [stream],
        checkpointInterval: 2,
        checkpointReached: (_s, p) => {
          checkpoints.push(p);
        },
      }),
    });
    const seen: ResolvedEvent[] = [];
    const all = new Promise<void>((resolve) =>
      sub.on('data', (e: ResolvedEvent) => {
        if (seen.push(e) === 256) resolve();
      }),
    );
    for (let i = 0; i < 4; i++) await f.client.appendToStream(stream, deposits(64, i * 64));
    await all;
    // The checkpoint covering the last event follows it on the wire.
    await new Promise((r) => setTimeout(r, 100));
    await sub.unsubscribe();
    expect(seen).toHaveLength(256);
    // Every record of $all after the start counts (the events' $ce-/$et-
    // links too): one checkpoint per 32 x 2 of them, plus possibly one on
    // catching up. Nothing else writes meanwhile.
    const examined = (await collect(f.client.readAll({ fromPosition: start.position! }))).filter(
      (e) => e.event!.position!.commit > start.position!.commit,
    ).length;
    expect(checkpoints.length).toBeGreaterThanOrEqual(Math.floor(examined / 64));
    expect(checkpoints.length).toBeLessThanOrEqual(Math.floor(examined / 64) + 1);
    const sorted = [...checkpoints].sort((a, b) => (a.commit < b.commit ? -1 : 1));
    expect(sorted).toEqual(checkpoints);
    expect(checkpoints.every((p) => p.commit > start.position!.commit)).toBe(true);
  });

  test('a filter that matches nothing still sends checkpoints while it skips history', async () => {
    await f.client.appendToStream(uniqueStream('skipped'), deposits(100));
    const checkpoints: Position[] = [];
    const sub = f.client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({ prefixes: [uniqueStream('nothing')], checkpointInterval: 1, checkpointReached: (_s, p) => void checkpoints.push(p) }),
    });
    await new Promise<void>((resolve) => sub.on('caughtUp', () => resolve()));
    await sub.unsubscribe();
    const head = (await collect(f.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })))[0]!.event!.position!.commit;
    // At least one per 32 records skipped, all in order and none beyond the head.
    expect(checkpoints.length).toBeGreaterThanOrEqual(300 / 32 - 1);
    expect(checkpoints.every((p, i) => i === 0 || p.commit > checkpoints[i - 1]!.commit)).toBe(true);
    expect(checkpoints.every((p) => p.commit <= head)).toBe(true);
  });

  test('64 concurrent writers while subscribed from the start: every event exactly once, in $all order', async () => {
    const prefix = uniqueStream('race');
    const sub = f.client.subscribeToAll({ filter: streamNameFilter({ prefixes: [prefix] }) });
    await Promise.all(Array.from({ length: 64 }, (_, i) => f.client.appendToStream(`${prefix}-${i % 8}`, deposits(5, i * 5))));
    const seen = await take(sub, (s) => s.length === 320);
    const positions = seen.map((e) => e.event!.position!.commit);
    expect(new Set(seen.map((e) => e.event!.id)).size).toBe(320);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
  });
});
