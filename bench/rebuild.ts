/**
 * Rebuild rate in events/s (issue 6; goal: at least 20,000/s without the
 * Mongo write step). The rebuild runs as the jobs worker runs it (runRebuild
 * over $all pages, the projector's writer and fold), into the in-memory
 * read-model store; with MONGO_URL set, a second run writes to that Mongo.
 * The embedded FerretDB is never timed. Also timed apart: reading $all
 * alone, and the fold + writer alone over events already in memory, so the
 * figure says where the time goes.
 * Run: npx tsx bench/rebuild.ts   (BENCH_EVENTS, BENCH_ACCOUNTS, MONGO_URL)
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startEsdbServer } from '../src/esdb-server/index.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { AccountLogReader, type LoggedAccountEvent } from '../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import type { NewEvent } from '../src/app/index.js';
import { EVENT_SCHEMA_VERSION, accountStream } from '../src/domain/index.js';
import { InMemoryReadModelStore } from '../src/readmodels/in-memory-read-model-store.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import type { ReadModelStore } from '../src/readmodels/read-model-store.js';
import { runRebuild, type RebuildControl, type RebuildSource } from '../src/readmodels/rebuild.js';
import type { RebuildProgress } from '../src/readmodels/rebuild-progress.js';
import { rebuildTargetFor, type RebuildCollections } from '../src/readmodels/rebuild-target.js';
import { mongoRebuildCollections } from '../src/readmodels/rebuild-collections.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 200);
const BATCH = 1000;

const esdb = await startEsdbServer({ port: 0, memory: true });
const conn = connectEventStore(esdb.connectionString);
const store = new EsdbAccountEventStore(conn.client);
const log = new AccountLogReader(conn.client);

// Seed: ACCOUNTS accounts, their events interleaved in $all as live traffic would be.
const meta = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'b', causationId: 'b', schemaVersion: EVENT_SCHEMA_VERSION });
const ids = Array.from({ length: ACCOUNTS }, () => randomUUID());
const revisions = new Map<string, bigint>();
for (const id of ids) {
  const opened: NewEvent[] = [{ event: { type: 'AccountOpened', data: { accountId: id, ownerId: 'o', currency: 'EUR' } }, metadata: meta() }];
  revisions.set(id, (await store.appendToStream(accountStream(id), opened, -1n)).revision);
}
const perRound = 10;
for (let written = ACCOUNTS; written < EVENTS; written += ACCOUNTS * perRound) {
  await Promise.all(ids.map(async (id) => {
    const events: NewEvent[] = Array.from({ length: perRound }, () => ({ event: { type: 'MoneyDeposited', data: { amount: 3n } }, metadata: meta() }));
    revisions.set(id, (await store.appendToStream(accountStream(id), events, revisions.get(id)!)).revision);
  }));
}
const total = [...revisions.values()].reduce((a, r) => a + Number(r) + 1, 0);

const memoryControl = (): RebuildControl => {
  let recorded: RebuildProgress | undefined;
  return { recorded: () => recorded, record: async (p) => { recorded = p; }, cancelRequested: async () => false, scheduleDrop: async () => {} };
};
const noCollections: RebuildCollections = { create: async () => {}, drop: async () => {} };
let active = 'account_summaries';
const registry = { activeCollection: async () => active, setActiveCollection: async (_p: string, c: string) => { active = c; } };

async function timedRebuild(source: RebuildSource, readModel: ReadModelStore, collections: RebuildCollections): Promise<{ events: number; seconds: number }> {
  const target = rebuildTargetFor('account_summaries', `account_summaries_bench_${Date.now()}`, readModel, log, collections);
  const t = performance.now();
  const out = await runRebuild(source, target, registry, memoryControl(), { projection: 'account_summaries', batchSize: BATCH, settleMs: 0 });
  return { events: out.progress.eventsDone, seconds: (performance.now() - t) / 1000 };
}

// 1. $all pages alone.
let t = performance.now();
const pages: { events: LoggedAccountEvent[]; last: { commit: bigint; prepare: bigint } | undefined; atHead: boolean }[] = [];
for (let after: { commit: bigint; prepare: bigint } | undefined; ;) {
  const page = await log.page(after, BATCH);
  pages.push(page);
  after = page.last;
  if (page.atHead) break;
}
const readSeconds = (performance.now() - t) / 1000;

// 2. Fold + writer alone, from pages already in memory.
let i = 0;
const inMemorySource: RebuildSource = {
  page: async () => pages[i++] ?? { events: [], last: pages.at(-1)?.last, atHead: true },
  head: async () => 0n,
};
const foldOnly = await timedRebuild(inMemorySource, new InMemoryReadModelStore(), noCollections);

// 3. The whole rebuild, without Mongo, as the jobs worker runs it: a filtered $all subscription as the source.
const subscription = new AccountLogSubscription(conn.client, () => log.head());
const whole = await timedRebuild(subscription, new InMemoryReadModelStore(), noCollections);
await subscription.close();
// 3b. The same over readAll pages (no server-side filter in this client).
const paged = await timedRebuild(log, new InMemoryReadModelStore(), noCollections);

// 4. With MONGO_URL: the same into real Mongo.
let withMongo: { events: number; seconds: number } | undefined;
const mongoUrl = process.env['MONGO_URL'];
if (mongoUrl) {
  const mongo = await MongoClient.connect(mongoUrl, { useBigInt64: true });
  const db = mongo.db(process.env['MONGO_DB'] ?? 'ledger_bench');
  const source = new AccountLogSubscription(conn.client, () => log.head());
  withMongo = await timedRebuild(source, new MongoReadModelStore(db), mongoRebuildCollections(db));
  await source.close();
  await mongo.close();
}

const rate = (r: { events: number; seconds: number }) => Math.round(r.events / r.seconds);
console.log(JSON.stringify({
  bench: 'rebuild',
  events_in_store: total,
  accounts: ACCOUNTS,
  batch: BATCH,
  read_all_pages_events_per_s: Math.round(total / readSeconds),
  fold_and_writer_only_events_per_s: rate(foldOnly),
  rebuild_without_mongo_events_per_s: rate(whole),
  rebuild_without_mongo_seconds: +whole.seconds.toFixed(2),
  rebuild_without_mongo_over_read_all_pages_events_per_s: rate(paged),
  goal_events_per_s: 20_000,
  met: rate(whole) >= 20_000,
  rebuild_with_mongo_events_per_s: withMongo ? rate(withMongo) : 'MONGO_URL not set: Mongo left out',
}, null, 2));
await conn.close();
await esdb.stop();
