/**
 * Projector throughput (issue 5): events/s from the persistent subscription
 * through decoding, the folds and the batch writer; the Mongo write step is
 * timed apart. Stages:
 *   1. consume loop + folds + batch writer, deliveries from memory (no subscription)
 *   2. the same from a real persistent subscription (`ledger-esdb --memory` child), in-memory store
 *   3. with MONGO_URL set: stage 2 writing to that Mongo, Mongo time counted separately
 * Without MONGO_URL, Mongo is left out and the output says so.
 *
 *   npx tsx bench/projector.ts [accounts=2000] [eventsPerAccount=25]
 */
import { randomUUID } from 'node:crypto';
import { jsonEvent, EventStoreDBClient } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { encodeEventData, encodeMetadata } from '../src/domain/event-codec.js';
import { accountStream, type AccountEvent } from '../src/domain/events.js';
import { AccountSubscription, ensureAccountSubscriptionGroup } from '../src/eventstore/persistent-subscription.js';
import { AccountGapReader } from '../src/eventstore/persistent-subscription-gap-reader.js';
import { AccountProjectionWriter } from '../src/readmodels/account-projection-writer.js';
import { AccountProjector } from '../src/readmodels/account-projector.js';
import { InMemoryReadModelStore } from '../src/readmodels/in-memory-read-model-store.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import { DEFAULT_TARGETS, ensureReadModel } from '../src/readmodels/read-model-schema.js';
import type { ProjectionSource } from '../src/readmodels/projection-source.js';
import type { ReadModelStore } from '../src/readmodels/read-model-store.js';
import type { StoredEvent } from '../src/readmodels/recorded-account-event.js';
import { fmt, startBenchServer } from './esdb-child.js';
import { InMemorySource, timedStore } from './projector-sources.js';

const accounts = Number(process.argv[2] ?? 2_000);
const perAccount = Number(process.argv[3] ?? 25);
const total = accounts * perAccount;
const BATCH = 500;
const logger = pino({ level: 'silent' });

function history(accountId: string): AccountEvent[] {
  const events: AccountEvent[] = [{ type: 'AccountOpened', data: { accountId, ownerId: `owner-${accountId.slice(0, 2)}`, currency: 'EUR' } }];
  for (let i = 1; i < perAccount; i += 1) events.push(i % 3 === 0 ? { type: 'MoneyWithdrawn', data: { amount: 7n } } : { type: 'MoneyDeposited', data: { amount: 100n } });
  return events;
}

const metadata = () => encodeMetadata({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'bench', causationId: 'bench', schemaVersion: 1 });

/** Events as a subscription would hand them over, interleaved across accounts like a busy log. */
function inMemoryEvents(): StoredEvent[] {
  const ids = Array.from({ length: accounts }, () => randomUUID());
  const histories = ids.map(history);
  const out: StoredEvent[] = [];
  for (let rev = 0; rev < perAccount; rev += 1) {
    ids.forEach((id, a) => {
      const event = histories[a]![rev]!;
      out.push({ eventId: randomUUID(), streamId: accountStream(id), revision: BigInt(rev), commitPosition: BigInt(out.length), type: event.type, data: encodeEventData(event), metadata: metadata(), created: new Date() });
    });
  }
  return out;
}

async function run(source: () => ProjectionSource, store: ReadModelStore, streams: AccountGapReader | undefined, expected: number, processed: () => number): Promise<number> {
  const noGaps = { readAccount: async () => { throw new Error('no gap expected'); } };
  const writer = new AccountProjectionWriter(store, streams ?? noGaps);
  const projector = new AccountProjector(source, writer, store, async () => DEFAULT_TARGETS, {
    batchSize: BATCH, batchMs: 50, maxRetries: 5, retryBackoffMs: 100, unavailableBackoffMaxMs: 5_000, logger,
  });
  const t = performance.now();
  projector.start();
  while (processed() < expected) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t) / 1000;
  await projector.stop();
  return seconds;
}

function report(stage: string, seconds: number, events: number, storeMs: number, writes: number, mongoNote: string): void {
  const storeS = storeMs / 1000;
  console.log(
    `| ${stage} | ${fmt(events)} | ${fmt(events / seconds)} | ${fmt(events / Math.max(seconds - storeS, 1e-9))} | ${storeMs.toFixed(0)} ms | ${writes} | ${(writes / (events / 500)).toFixed(2)} | ${mongoNote} |`,
  );
}

async function main(): Promise<void> {
  console.log(`projector bench: ${fmt(accounts)} accounts x ${perAccount} events = ${fmt(total)} events, batch ${BATCH}`);
  console.log('| stage | events | events/s end to end | events/s excluding store time | store time | store writes | writes per 500 events | Mongo |');
  console.log('|---|---|---|---|---|---|---|---|');

  // 1. consume loop + decode + folds + batch writer, no subscription.
  {
    const events = inMemoryEvents();
    const memory = new InMemoryReadModelStore();
    const timed = timedStore(memory);
    const source = new InMemorySource(events);
    const s = await run(() => source, timed.store, undefined, events.length, () => source.acked);
    report('1. folds + batch writer (deliveries from memory)', s, events.length, timed.ms(), memory.writeCalls, 'left out (in-memory store)');
  }

  // 2. and 3. from a real persistent subscription.
  const server = await startBenchServer(['--memory']);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  try {
    const t = performance.now();
    const ids = Array.from({ length: accounts }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((id) => client.appendToStream(accountStream(id), history(id).map((e) => jsonEvent({ type: e.type, data: encodeEventData(e), metadata: metadata() })))));
    }
    console.log(`\n(appended ${fmt(total)} events in ${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
    const stage = async (name: string, store: ReadModelStore & { bulkWrites?: number; writeCalls?: number }, mongoNote: string) => {
      const group = `bench-${randomUUID().slice(0, 8)}`;
      await ensureAccountSubscriptionGroup(client, { group, consumerStrategy: 'Pinned', maxRetryCount: 100, messageTimeoutMs: 60_000 });
      const timed = timedStore(store);
      let acked = 0;
      const source = (): ProjectionSource => {
        const sub = AccountSubscription.open(client, group, BATCH * 2);
        return { deliveries: () => sub.deliveries(), ack: async (ids) => { acked += ids.length; await sub.ack(ids); }, retry: (ids, r) => sub.retry(ids, r), park: (ids, r) => sub.park(ids, r), close: () => sub.close() };
      };
      const s = await run(source, timed.store, new AccountGapReader(client), total, () => acked);
      report(name, s, total, timed.ms(), store.bulkWrites ?? store.writeCalls ?? timed.writes(), mongoNote);
    };
    const memory = new InMemoryReadModelStore();
    await stage('2. persistent subscription + folds + batch writer', memory, 'left out (in-memory store)');
    const mongoUrl = process.env['MONGO_URL'];
    if (mongoUrl === undefined) {
      console.log('\nMongo was left out: MONGO_URL is not set. The embedded FerretDB is not fit to time, so the Mongo write step was not measured.');
    } else {
      const mongo = await MongoClient.connect(mongoUrl);
      const db = mongo.db(`ledger_bench_${randomUUID().slice(0, 8)}`);
      await ensureReadModel(db);
      try {
        await stage('3. persistent subscription + folds + Mongo bulkWrite', new MongoReadModelStore(db), `${mongoUrl.replace(/\/\/[^@]*@/, '//***@')} (bulkWrite calls)`);
      } finally {
        await db.dropDatabase();
        await mongo.close();
      }
    }
  } finally {
    await client.dispose();
    await server.stop();
  }
}

await main();
