import { randomUUID } from 'node:crypto';
import { jsonEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { AccountSubscription, ensureAccountSubscriptionGroup, type Delivery } from '../../src/eventstore/persistent-subscription.js';

let esdb: EsdbServer;
let conn: EventStoreConnection;

beforeAll(async () => {
  esdb = await startEsdbServer({ port: 0, memory: true });
  conn = connectEventStore(esdb.connectionString);
});
afterAll(async () => {
  await conn?.close();
  await esdb?.stop();
});

const settings = (group: string) => ({ group, consumerStrategy: 'RoundRobin' as const, maxRetryCount: 10, messageTimeoutMs: 30_000 });

/** The next `n` deliveries of a subscription (it stays open). */
async function take(sub: AccountSubscription, n: number): Promise<Delivery[]> {
  const got: Delivery[] = [];
  for await (const d of sub.deliveries()) {
    got.push(d);
    if (got.length === n) break;
  }
  return got;
}

test('the lean consumer (issue 15): deliveries as stored, acked ones not delivered again, retried ones redelivered with their count, a closed one refuses to settle instead of hanging', async () => {
  const group = `lean-${randomUUID()}`;
  const account = `account-${randomUUID()}`;
  await conn.client.appendToStream(account, [1, 2, 3].map((n) => jsonEvent({ type: 'MoneyDeposited', data: { amount: String(n) }, metadata: { command_id: `c${n}` } })));
  await conn.client.appendToStream(`snapshot-${randomUUID()}`, [jsonEvent({ type: 'Snapshot', data: {} })]);
  await ensureAccountSubscriptionGroup(conn.client, settings(group));

  const first = AccountSubscription.open(conn.client, group, 10);
  const delivered = await take(first, 3);
  expect(delivered.map((d) => [d.stored.streamId, d.stored.revision, d.stored.type, d.stored.data, d.stored.metadata, d.retryCount]))
    .toEqual([1, 2, 3].map((n) => [account, BigInt(n - 1), 'MoneyDeposited', { amount: String(n) }, { command_id: `c${n}` }, 0]));
  expect(delivered.every((d) => d.stored.commitPosition !== undefined && d.stored.created.getTime() > 0)).toBe(true);
  await first.ack([delivered[0]!.ackId, delivered[2]!.ackId]);
  await first.retry([delivered[1]!.ackId], 'once more');
  const [again] = await take(first, 1);
  expect(again?.stored.eventId).toBe(delivered[1]!.stored.eventId);
  expect(again?.retryCount).toBe(1);
  await first.close();
  // Settling on a closed consumer fails (the server delivers the event again), it does not wait for ever.
  await expect(first.ack([again!.ackId])).rejects.toThrow();

  // A new consumer of the group gets only what was not acked.
  const second = AccountSubscription.open(conn.client, group, 10);
  const [redelivered] = await take(second, 1);
  expect(redelivered?.stored.eventId).toBe(delivered[1]!.stored.eventId);
  await second.ack([redelivered!.ackId]);
  await second.close();
}, 30_000);
