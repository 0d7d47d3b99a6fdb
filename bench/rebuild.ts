/**
 * Rebuild rate in events/s (issue 6; goal: at least 20,000/s without the
 * Mongo write step). The event store runs in its own process, as in
 * production (`ledger-esdb --memory`, bench/esdb-child.ts); the rebuild runs
 * in this process as the jobs worker runs it (runRebuild over the filtered
 * `$all` subscription, the projector's writer and fold) into the in-memory
 * read-model store; with MONGO_URL set, a further run writes to that Mongo.
 * The embedded FerretDB is never timed.
 *
 * Also timed apart, so the figure says where the time goes:
 *  - the client alone: a bare filtered `$all` catch-up subscription, events counted;
 *  - reading alone: the rebuild source's pages, nothing folded;
 *  - the fold + writer alone, over those pages already in memory.
 * Every phase reports events/s, CPU of this process and of the server
 * process (% of one core over the phase's wall time, and µs per event), peak RSS of both, and
 * for whole rebuilds p50/p99 of the time between recorded batches.
 *
 * Run: npx tsx bench/rebuild.ts   (BENCH_EVENTS, BENCH_ACCOUNTS, BENCH_RUNS, BENCH_BATCH, MONGO_URL)
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { START, streamNameFilter } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import { startBenchServer } from './esdb-child.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { AccountLogReader, type LogPage } from '../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import type { NewEvent } from '../src/app/index.js';
import { ACCOUNT_STREAM_PREFIX, EVENT_SCHEMA_VERSION, accountStream } from '../src/domain/index.js';
import { InMemoryReadModelStore } from '../src/readmodels/in-memory-read-model-store.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import type { ReadModelStore } from '../src/readmodels/read-model-store.js';
import { runRebuild, type RebuildControl, type RebuildSource } from '../src/readmodels/rebuild.js';
import type { RebuildProgress } from '../src/readmodels/rebuild-progress.js';
import { rebuildTargetFor, type RebuildCollections } from '../src/readmodels/rebuild-target.js';
import { mongoRebuildCollections } from '../src/readmodels/rebuild-collections.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 20_000);
const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 200);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1000);

const server = await startBenchServer(['--memory']);
const conn = connectEventStore(server.connectionString);
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

type Phase = {
  events_per_s: number;
  seconds: number;
  bench_cpu_pct: number;
  server_cpu_pct: number;
  /** CPU per event: steadier than events/s when other work shares the cores. */
  bench_cpu_us_per_event: number;
  server_cpu_us_per_event: number;
  bench_rss_peak_mib: number;
  server_rss_peak_mib: number;
  batch_p50_ms?: number;
  batch_p99_ms?: number;
};

/** Times one phase: wall time, CPU of both processes, RSS of both sampled every 50 ms. */
async function measure(run: () => Promise<{ events: number; batchMs?: number[] }>): Promise<Phase> {
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  let benchRss = process.memoryUsage().rss;
  let serverRss = server.rssMiB();
  const sampler = setInterval(() => {
    benchRss = Math.max(benchRss, process.memoryUsage().rss);
    serverRss = Math.max(serverRss, server.rssMiB());
  }, 50);
  const [t0, c0, s0] = [performance.now(), cpu(), server.cpuSeconds()];
  const out = await run();
  const seconds = (performance.now() - t0) / 1000;
  const [c1, s1] = [cpu(), server.cpuSeconds()];
  clearInterval(sampler);
  const phase: Phase = {
    events_per_s: Math.round(out.events / seconds),
    seconds: +seconds.toFixed(2),
    bench_cpu_pct: Math.round(((c1 - c0) / seconds) * 100),
    server_cpu_pct: Math.round(((s1 - s0) / seconds) * 100),
    bench_cpu_us_per_event: +(((c1 - c0) / out.events) * 1e6).toFixed(1),
    server_cpu_us_per_event: +(((s1 - s0) / out.events) * 1e6).toFixed(1),
    bench_rss_peak_mib: Math.round(benchRss / 2 ** 20),
    server_rss_peak_mib: Math.round(serverRss),
  };
  const sorted = (out.batchMs ?? []).sort((a, b) => a - b);
  if (sorted.length >= 10) {
    phase.batch_p50_ms = +(sorted[Math.floor(sorted.length * 0.5)] ?? 0).toFixed(1);
    phase.batch_p99_ms = +(sorted[Math.floor(sorted.length * 0.99)] ?? 0).toFixed(1);
  }
  return phase;
}

/** A control kept in memory; each record() closes a batch, so their spacing is the batch latency. */
const memoryControl = (batchMs: number[]): RebuildControl => {
  let recorded: RebuildProgress | undefined;
  let last = performance.now();
  return {
    recorded: () => recorded,
    record: async (p) => { const t = performance.now(); batchMs.push(t - last); last = t; recorded = p; },
    cancelRequested: async () => false,
    scheduleDrop: async () => {},
  };
};
const noCollections: RebuildCollections = { create: async () => {}, drop: async () => {} };
let active = 'account_summaries';
const registry = { activeCollection: async () => active, setActiveCollection: async (_p: string, c: string) => { active = c; } };

const rebuild = (source: () => RebuildSource & { close?(): Promise<void> }, readModel: () => ReadModelStore, collections: RebuildCollections) =>
  measure(async () => {
    const src = source();
    const store = readModel();
    const collection = `account_summaries_bench_${randomUUID().slice(0, 8)}`;
    const target = rebuildTargetFor('account_summaries', collection, store, log, collections);
    const batchMs: number[] = [];
    const out = await runRebuild(src, target, registry, memoryControl(batchMs), { projection: 'account_summaries', batchSize: BATCH, settleMs: 0 });
    await src.close?.();
    if (store instanceof InMemoryReadModelStore) checkRebuilt(store.summaries.get(collection));
    return { events: out.progress.eventsDone, batchMs };
  });

/** A fast rebuild that folds wrongly is no result: every account must stand at its last revision. */
function checkRebuilt(summaries: ReadonlyMap<string, { revision: bigint }> | undefined): void {
  const wrong = ids.filter((id) => summaries?.get(id)?.revision !== revisions.get(id));
  if (wrong.length > 0) throw new Error(`rebuild left ${wrong.length} of ${ids.length} accounts wrong, e.g. ${wrong[0]}`);
}

// 1. The client alone: a bare filtered $all catch-up subscription, events counted until caught up.
const clientOnly = await measure(async () => {
  let events = 0;
  const sub = conn.client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [ACCOUNT_STREAM_PREFIX] }) });
  await new Promise<void>((resolve, reject) => {
    sub.on('data', (e) => { if (e.event) events++; });
    sub.on('caughtUp', () => resolve());
    sub.on('error', reject);
  });
  await sub.unsubscribe();
  return { events };
});

// 2. Reading alone: the rebuild source's pages, kept for 3.
const pages: LogPage[] = [];
const readOnly = await measure(async () => {
  const source = new AccountLogSubscription(conn.client, () => log.head());
  let events = 0;
  for (let after: LogPage['last'] = undefined; ;) {
    const page = await source.page(after, BATCH);
    pages.push(page);
    events += page.events.length;
    after = page.last;
    if (page.atHead) break;
  }
  await source.close();
  return { events };
});

// 3. Fold + writer alone, from pages already in memory.
const foldOnly = await rebuild(() => {
  let i = 0;
  return { page: async () => pages[i++] ?? { events: [], last: pages.at(-1)?.last, atHead: true }, head: async () => 0n };
}, () => new InMemoryReadModelStore(), noCollections);

// 4. The whole rebuild without Mongo, as the jobs worker runs it; RUNS times.
const whole: Phase[] = [];
for (let r = 0; r < RUNS; r++) {
  whole.push(await rebuild(() => new AccountLogSubscription(conn.client, () => log.head()), () => new InMemoryReadModelStore(), noCollections));
}

// 5. With MONGO_URL: the same into real Mongo.
let withMongo: Phase | string = 'MONGO_URL not set: Mongo left out';
const mongoUrl = process.env['MONGO_URL'];
if (mongoUrl) {
  const mongo = await MongoClient.connect(mongoUrl, { useBigInt64: true });
  const db = mongo.db(process.env['MONGO_DB'] ?? 'ledger_bench');
  withMongo = await rebuild(() => new AccountLogSubscription(conn.client, () => log.head()), () => new MongoReadModelStore(db), mongoRebuildCollections(db));
  await mongo.close();
}

const rates = whole.map((p) => p.events_per_s);
console.log(JSON.stringify({
  bench: 'rebuild',
  server: 'ledger-esdb --memory, child process',
  load_average_1m_at_end: +loadavg()[0]!.toFixed(2),
  events_in_store: total,
  accounts: ACCOUNTS,
  batch: BATCH,
  client_subscription_only: clientOnly,
  read_only: readOnly,
  fold_and_writer_only: foldOnly,
  rebuild_without_mongo: whole,
  rebuild_without_mongo_events_per_s: rates,
  goal_events_per_s: 20_000,
  met: Math.max(...rates) >= 20_000 ? (Math.min(...rates) >= 20_000 ? 'every run' : 'best run only') : 'no',
  rebuild_with_mongo: withMongo,
}, null, 2));
await conn.close();
await server.stop();
