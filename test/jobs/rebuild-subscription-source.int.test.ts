import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { binaryEvent, jsonEvent } from '@eventstore/db-client';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { AccountLogReader, type LogPage, type LogPosition, type LoggedAccountEvent } from '../../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../../src/eventstore/rebuild-subscription-source.js';

let esdb: EsdbServer;
let conn: EventStoreConnection;

const deposit = (n: number) => jsonEvent({ type: 'MoneyDeposited', data: { amount: String(n) }, metadata: { occurred_at: new Date(1_700_000_000_000 + n).toISOString() } });

beforeAll(async () => {
  esdb = await startEsdbServer({ port: 0, memory: true });
  conn = connectEventStore(esdb.connectionString);
  // Account events interleaved with records the rebuild skips: another stream, and a binary account event.
  for (let round = 0; round < 5; round++) {
    for (const account of ['a', 'b', 'c']) await conn.client.appendToStream(`account-${account}`, [deposit(round), deposit(round + 100)]);
    await conn.client.appendToStream('snapshot-a', [jsonEvent({ type: 'Snapshot', data: { round } })]);
    if (round === 2) await conn.client.appendToStream('account-b', [binaryEvent({ type: 'Blob', data: new Uint8Array([1, 2, 3]) })]);
  }
});

afterAll(async () => {
  await conn?.close();
  await esdb?.stop();
});

/** Pages until the source reports the head. */
async function drain(source: { page(after: LogPosition | undefined, max: number): Promise<LogPage> }, max: number, from?: LogPosition) {
  const events: LoggedAccountEvent[] = [];
  let after = from;
  for (let pages = 0; ; pages++) {
    if (pages > 10_000) throw new Error('no head in sight');
    const page = await source.page(after, max);
    events.push(...page.events);
    after = page.last;
    if (page.atHead) return { events, after };
  }
}

describe('AccountLogSubscription', () => {
  test('hands out the same account events, in $all order, as reading $all through the client', async () => {
    const source = new AccountLogSubscription(conn.client, async () => 0n);
    const subscribed = await drain(source, 4);
    await source.close();
    const read = await drain(new AccountLogReader(conn.client), 4);
    expect(subscribed.events).toHaveLength(30);
    expect(subscribed.events).toEqual(read.events);
    expect(subscribed.events.every((e) => e.streamId.startsWith('account-') && e.type === 'MoneyDeposited')).toBe(true);
  });

  test('asked for a page after another position (a resumed rebuild), it reopens there', async () => {
    const source = new AccountLogSubscription(conn.client, async () => 0n);
    const first = await source.page(undefined, 10);
    const all = await drain(source, 10, first.last);
    // Resume from the first page's position, as a restarted job would.
    const resumed = await drain(source, 7, first.last);
    await source.close();
    expect(resumed.events.map((e) => e.eventId)).toEqual(all.events.map((e) => e.eventId));
    expect([...first.events, ...resumed.events]).toHaveLength(30);
  });

  test('events appended after the head arrive on the next pages', async () => {
    const source = new AccountLogSubscription(conn.client, async () => 0n);
    const caughtUp = await drain(source, 100);
    await conn.client.appendToStream('account-live', [deposit(1), deposit(2), deposit(3)]);
    const live: LoggedAccountEvent[] = [];
    for (let after = caughtUp.after; live.length < 3;) {
      const page = await source.page(after, 100);
      live.push(...page.events);
      after = page.last;
    }
    await source.close();
    expect(live.map((e) => e.streamId)).toEqual(['account-live', 'account-live', 'account-live']);
    expect(live.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
  });

  test('past the buffering bound it pauses and resumes without losing or repeating an event; a page larger than the bound still fills', async () => {
    const server = await startEsdbServer({ port: 0, memory: true });
    const c = connectEventStore(server.connectionString);
    try {
      for (let i = 0; i < 13; i++) await c.client.appendToStream(`account-big${i}`, Array.from({ length: 500 }, (_, k) => deposit(k)));
      const expected = (await drain(new AccountLogReader(c.client), 1_000)).events.map((e) => e.eventId);
      expect(expected).toHaveLength(6_500);

      // Small pages taken slowly: the subscription runs ahead to its bound (5,000) and waits there.
      const slow = new AccountLogSubscription(c.client, async () => 0n);
      const first = await slow.page(undefined, 100);
      await new Promise((r) => setTimeout(r, 500));
      const rest = await drain(slow, 100, first.last);
      await slow.close();
      expect([...first.events, ...rest.events].map((e) => e.eventId)).toEqual(expected);

      const big = new AccountLogSubscription(c.client, async () => 0n);
      const whole = await big.page(undefined, 6_000);
      const tail = await drain(big, 6_000, whole.last);
      await big.close();
      expect(whole.events).toHaveLength(6_000);
      expect([...whole.events, ...tail.events].map((e) => e.eventId)).toEqual(expected);
    } finally {
      await c.close();
      await server.stop();
    }
  });

  test('the server going away fails the next page instead of leaving it waiting', async () => {
    const server = await startEsdbServer({ port: 0, memory: true });
    const c = connectEventStore(server.connectionString);
    await c.client.appendToStream('account-x', [deposit(1)]);
    const source = new AccountLogSubscription(c.client, async () => 0n);
    const { after } = await drain(source, 10);
    await server.stop();
    await expect((async () => {
      for (;;) {
        await source.page(after, 10);
        await new Promise((r) => setTimeout(r, 20));
      }
    })()).rejects.toThrow();
    await source.close();
    await c.close();
  });
});
