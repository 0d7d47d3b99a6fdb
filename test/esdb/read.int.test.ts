import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BACKWARDS, END, START, StreamDeletedError, StreamNotFoundError, jsonEvent, readFromStartGoesForwards } from './client-under-test.js';
import { collect, deposits, startFixture, uniqueStream, type EsdbFixture } from './esdb-fixture.js';

let f: EsdbFixture;
/** A server started with the standard projections, as `--start-standard-projections` does. */
let p: EsdbFixture;
let stream: string;
beforeAll(async () => {
  f = await startFixture();
  p = await startFixture({ systemProjections: true });
  stream = uniqueStream('account');
  await f.client.appendToStream(stream, deposits(10));
});
afterAll(async () => {
  await f.close();
  await p.close();
});

const amounts = (events: Awaited<ReturnType<typeof collect>>): unknown[] =>
  events.map((e) => (e.event?.data as { amount: number }).amount);

describe('reading a stream', () => {
  test('forwards from the start, from a revision, with maxCount', async () => {
    expect(amounts(await collect(f.client.readStream(stream)))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(amounts(await collect(f.client.readStream(stream, { fromRevision: 7n })))).toEqual([8, 9, 10]);
    expect(amounts(await collect(f.client.readStream(stream, { fromRevision: 2n, maxCount: 2 })))).toEqual([3, 4]);
    expect(await collect(f.client.readStream(stream, { fromRevision: 50n }))).toEqual([]);
  });

  test('backwards from the end and from a revision', async () => {
    expect(amounts(await collect(f.client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 3 })))).toEqual([10, 9, 8]);
    expect(amounts(await collect(f.client.readStream(stream, { direction: BACKWARDS, fromRevision: 1n })))).toEqual([2, 1]);
  });

  test('a stream that was never written is StreamNotFoundError', async () => {
    const missing = uniqueStream();
    const err = await collect(f.client.readStream(missing)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamNotFoundError);
    expect((err as StreamNotFoundError).streamName).toBe(missing);
  });

  test('a tombstoned stream is StreamDeletedError', async () => {
    const gone = uniqueStream();
    await f.client.appendToStream(gone, deposits(1));
    await f.client.tombstoneStream(gone);
    await expect(collect(f.client.readStream(gone))).rejects.toBeInstanceOf(StreamDeletedError);
  });

  test('a long stream is read completely, across server pages', async () => {
    const long = uniqueStream();
    for (let i = 0; i < 3; i++) await f.client.appendToStream(long, deposits(500, i * 500));
    const events = await collect(f.client.readStream(long));
    expect(events).toHaveLength(1500);
    expect(events.every((e, i) => e.event?.revision === BigInt(i))).toBe(true);
    const back = await collect(f.client.readStream(long, { direction: BACKWARDS, fromRevision: END }));
    expect(back.map((e) => e.event?.revision)).toEqual(events.map((e) => e.event?.revision).reverse());
  });
});

describe('reading $all', () => {
  test('positions increase forwards and a read from a position starts at that event', async () => {
    const all = await collect(f.client.readAll());
    const positions = all.map((e) => e.event!.position!.commit);
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
    const third = all[2]!;
    const [same] = await collect(f.client.readAll({ fromPosition: third.event!.position!, maxCount: 1 }));
    expect(same!.event!.id).toBe(third.event!.id);
  });

  test('backwards from the end is forwards reversed; backwards from a position is before it', async () => {
    const fwd = await collect(f.client.readAll());
    const back = await collect(f.client.readAll({ direction: BACKWARDS, fromPosition: END }));
    expect(back.map((e) => e.event!.id)).toEqual(fwd.map((e) => e.event!.id).reverse());
    const fifth = fwd[4]!;
    const before = await collect(f.client.readAll({ direction: BACKWARDS, fromPosition: fifth.event!.position!, maxCount: 2 }));
    expect(before.map((e) => e.event!.id)).toEqual([fwd[3]!.event!.id, fwd[2]!.event!.id]);
    const fromStart = await collect(f.client.readAll({ direction: BACKWARDS, fromPosition: START }));
    expect(fromStart.map((e) => e.event!.id)).toEqual(readFromStartGoesForwards ? fwd.map((e) => e.event!.id) : []);
  });

  test('with the standard projections, includes the $ce- and $et- link events; resolveLinkTos follows them to their target', async () => {
    const s = uniqueStream('ledger');
    await p.client.appendToStream(s, jsonEvent({ type: 'LedgerOpened', data: { n: 1 } }));
    const all = await collect(p.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 3 }));
    const links = all.filter((e) => e.event?.type === '$>');
    expect(links.map((e) => e.event!.streamId).sort()).toEqual(['$ce-ledger', '$et-LedgerOpened']);
    const [resolved] = await collect(p.client.readAll({ fromPosition: links[0]!.event!.position!, maxCount: 1, resolveLinkTos: true }));
    expect(resolved!.event!.streamId).toBe(s);
    expect(resolved!.link!.type).toBe('$>');
    expect(resolved!.event!.id).toBe((resolved!.link!.metadata as { $causedBy: string }).$causedBy);
  });
});

describe('system projections', () => {
  test('$ce-<category> and $et-<type> link to every event of user streams, in order', async () => {
    const a = `shop-${uniqueStream('x')}`;
    await p.client.appendToStream(a, [jsonEvent({ type: 'ShopOpened', data: { i: 0 } }), jsonEvent({ type: 'ShopClosed', data: { i: 1 } })]);
    const ce = await collect(p.client.readStream('$ce-shop', { resolveLinkTos: true }));
    expect(ce.map((e) => [e.event!.streamId, e.event!.revision])).toEqual([
      [a, 0n],
      [a, 1n],
    ]);
    expect(ce.map((e) => e.link!.revision)).toEqual([0n, 1n]);
    const et = await collect(p.client.readStream('$et-ShopClosed', { resolveLinkTos: true }));
    expect(et.map((e) => e.event!.type)).toEqual(['ShopClosed']);
    const raw = await collect(p.client.readStream('$et-ShopClosed'));
    expect(raw[0]!.event!.type).toBe('$>');
    expect(Buffer.from(raw[0]!.event!.data as Uint8Array).toString()).toBe(`1@${a}`);
  });

  test('are off by default, as on the real server: no $ce-/$et- streams and no links in $all', async () => {
    const fresh = await startFixture();
    const client = fresh.client;
    try {
      await client.appendToStream('shop-1', [jsonEvent({ type: 'ShopOpened', data: { i: 0 } })]);
      const all = await collect(client.readAll());
      expect(all.filter((e) => !e.event!.streamId.startsWith('$')).map((e) => e.event!.streamId)).toEqual(['shop-1']);
      expect(all.some((e) => e.event!.type === '$>')).toBe(false);
      await expect(collect(client.readStream('$ce-shop'))).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(collect(client.readStream('$et-ShopOpened'))).rejects.toBeInstanceOf(StreamNotFoundError);
    } finally {
      await fresh.close();
    }
  });
});
