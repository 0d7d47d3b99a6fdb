/**
 * The read side with the Mongo writes included (issue 11, "Benchmarks"),
 * for each Mongo-wire server compared, with the Mongo step stubbed in the
 * same run so its share shows.
 *
 * Per read store, on a fresh event store child (`ledger-esdb --memory`,
 * bench/esdb-child.ts) and a fresh Mongo-wire child server:
 *  1. projector end to end, as `npm start` runs it (startProjector: Pinned
 *     persistent subscription on `$all` -> folds -> MongoReadModelStore with
 *     the server's profile) while a load generator in its own process
 *     (bench/read-side-load.ts) appends the log at a fixed rate: projected
 *     events/s during the load, lag, time for the lag to reach zero after
 *     the load stops (capped at --drain-seconds), stalls (a 5 s window with
 *     no progress while lag > 0);
 *  2. rebuild of the same log into a new collection, as workers/jobs.ts runs
 *     it (runRebuild, rebuildTargetFor('account_summaries'),
 *     AccountLogSubscription), into the same Mongo-wire server the projector
 *     filled; capped at --row-seconds (the cap is checked between batches,
 *     so a slow server overshoots by up to one batch).
 * The "stub" read store is InMemoryReadModelStore (same guard semantics),
 * behind the projector's own classes wired as startProjector wires them.
 *
 * The log is identical for every read store (seeded): `accounts` openings
 * first, then deposits and withdrawals in integer minor units on accounts
 * drawn uniformly, `events` in all, one event per append.
 *
 * Per row: CPU seconds per 1,000 events of each process (this process =
 * projector or rebuild; event store child; Mongo-wire child; load
 * generator) from /proc/<pid>/stat, p50/p99 of the store's writeBatch (one
 * batch: transactions, guarded summaries, read-back), and a check: sampled
 * summaries equal the fold of their stream read back from the event store
 * (revision and balance, up to the document's revision for a capped row);
 * for a complete row also every summary against the generator's state.
 *
 *   npx tsx bench/read-side.ts [accounts=10000] [events=200000]
 *     [--servers=stub,mjs-memory,mjs-memory-noguard,mjs-h2,ferretdb]
 *     [--rate=2500] [--row-seconds=75] [--drain-seconds=30] [--sample=300] [--seed=11]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { MongoClient, type Db } from 'mongodb';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../src/config.js';
import { fold } from '../src/domain/account.js';
import { accountStream, type AccountEvent } from '../src/domain/index.js';
import { startFerretDb, startMongoJavaServer, mongoJavaServerHome, SupervisedServer, type EmbeddedMongo } from '../src/embedded/index.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { AccountSubscription, ensureAccountSubscriptionGroup } from '../src/eventstore/persistent-subscription.js';
import { AccountGapReader } from '../src/eventstore/persistent-subscription-gap-reader.js';
import { AccountLogReader } from '../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import { AccountProjectionWriter } from '../src/readmodels/account-projection-writer.js';
import { AccountProjector } from '../src/readmodels/account-projector.js';
import { decoderWith } from '../src/readmodels/event-repairs.js';
import { InMemoryReadModelStore } from '../src/readmodels/in-memory-read-model-store.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import type { ProjectionSource } from '../src/readmodels/projection-source.js';
import { ProjectionRegistry } from '../src/readmodels/projection-registry.js';
import { DEFAULT_TARGETS, ensureReadModel } from '../src/readmodels/read-model-schema.js';
import type { ReadModelStore } from '../src/readmodels/read-model-store.js';
import { readStoreProfile, type ReadStoreProfile } from '../src/readmodels/read-store-profile.js';
import { mongoRebuildCollections } from '../src/readmodels/rebuild-collections.js';
import type { RebuildProgress } from '../src/readmodels/rebuild-progress.js';
import { rebuildTargetFor, type RebuildCollections } from '../src/readmodels/rebuild-target.js';
import { runRebuild, type RebuildControl } from '../src/readmodels/rebuild.js';
import { projectorSettings, startProjector } from '../workers/projector.js';
import { fmt, startBenchServer, type BenchServer } from './esdb-child.js';
import type { LoadMessage } from './read-side-load.js';

// ---- arguments ----
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name: string, fallback: string): string =>
  process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ACCOUNTS = Number(positional[0] ?? 10_000);
const EVENTS = Number(positional[1] ?? 200_000);
const RATE = Number(flag('rate', '2500'));
const ROW_SECONDS = Number(flag('row-seconds', '75'));
const DRAIN_SECONDS = Number(flag('drain-seconds', '30'));
const SAMPLE = Number(flag('sample', '300'));
const SEED = Number(flag('seed', '11'));
const SERVERS = flag('servers', 'stub,mjs-memory,mjs-memory-noguard,mjs-h2,ferretdb').split(',');

const LOAD = fileURLToPath(new URL('./read-side-load.ts', import.meta.url));
const config = loadConfig({});
const settingsBase = projectorSettings(config);

// ---- read stores compared ----
type Backend = {
  readonly key: string;
  readonly label: string;
  /** undefined: the stub (InMemoryReadModelStore). */
  readonly profile?: ReadStoreProfile;
  readonly start?: () => Promise<EmbeddedMongo>;
};

const JVM = ['-XX:+UseParallelGC', '-Xms256m'];
/** mongo-java-server on its H2 backend (durable), through the same launcher and supervisor as the memory one. */
async function startMongoJavaH2(): Promise<EmbeddedMongo> {
  const home = mongoJavaServerHome();
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-mjs-h2-'));
  return SupervisedServer.start({
    name: 'mongo', command: 'java', dataDir: dir, removeDataDirOnStop: true, restart: false,
    args: (port) => [...JVM, '-cp', `${join(home, 'classes')}:${join(home, 'lib', '*')}`, 'MongoWireServer', String(port), 'h2', join(dir, 'read-model.h2')],
    url: (port) => `mongodb://127.0.0.1:${port}/`,
  });
}

const BACKENDS: readonly Backend[] = [
  { key: 'stub', label: 'stub: InMemoryReadModelStore (no Mongo)' },
  { key: 'mjs-memory', label: 'mongo-java-server 1.47 memory, guard index (default)', profile: readStoreProfile('mongo-java-server'), start: () => startMongoJavaServer({ restart: false }) },
  { key: 'mjs-memory-noguard', label: 'mongo-java-server 1.47 memory, no guard index', profile: readStoreProfile('mongo-java-server', { guardIndex: false }), start: () => startMongoJavaServer({ restart: false }) },
  { key: 'mjs-h2', label: 'mongo-java-server 1.47 H2, guard index', profile: readStoreProfile('mongo-java-server'), start: startMongoJavaH2 },
  { key: 'ferretdb', label: 'FerretDB 1.24 SQLite, maxBulkOps 90', profile: readStoreProfile('ferretdb'), start: () => startFerretDb({ restart: false }) },
];

// ---- measuring ----
const CLK_TCK = 100;
/** utime + stime of a process (all its threads), fields 14 and 15 of /proc/<pid>/stat. */
function procCpu(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
function procRssMiB(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}
const selfCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

type Cpu = { bench: number; esdb: number; mongo: number; load: number };
const cpuNow = (esdb: BenchServer, mongo: EmbeddedMongo | undefined, load?: ChildProcess): Cpu => ({
  bench: selfCpu(), esdb: esdb.cpuSeconds(), mongo: mongo ? procCpu(mongo.process.pid) : NaN, load: load ? procCpu(load.pid) : NaN,
});
const perK = (seconds: number, events: number): string => (Number.isFinite(seconds) && events > 0 ? (seconds / (events / 1000)).toFixed(3) : '–');
const cpuCells = (a: Cpu, b: Cpu, events: number, withLoad: boolean): string =>
  [perK(b.bench - a.bench, events), perK(b.esdb - a.esdb, events), perK(b.mongo - a.mongo, events), ...(withLoad ? [perK(b.load - a.load, events)] : [])].join(' / ');

const pct = (sorted: readonly number[], q: number): string =>
  sorted.length === 0 ? '–' : (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0).toFixed(1);

/**
 * Times the store's calls per batch: loadSummaries before the fold (`load`),
 * writeBatch (one batch: transactions, guarded summaries, read-back) and,
 * within it, the read-back (`readBack`: loadSummaries called during a write;
 * batches are written one at a time).
 */
type StoreTimes = { load: number[]; write: number[]; readBack: number[] };
function timeStore(store: ReadModelStore): StoreTimes {
  const times: StoreTimes = { load: [], write: [], readBack: [] };
  let writing = false;
  const write = store.writeBatch.bind(store);
  const load = store.loadSummaries.bind(store);
  store.writeBatch = async (targets, batch) => {
    const t = performance.now();
    writing = true;
    try {
      return await write(targets, batch);
    } finally {
      writing = false;
      times.write.push(performance.now() - t);
    }
  };
  store.loadSummaries = async (targets, ids) => {
    const t = performance.now();
    const into = writing ? times.readBack : times.load;
    try {
      return await load(targets, ids);
    } finally {
      into.push(performance.now() - t);
    }
  };
  return times;
}
const sum = (ms: readonly number[]): number => ms.reduce((a, b) => a + b, 0) / 1000;
const storeCells = (t: StoreTimes, rowSeconds: number): string => {
  const sorted = (ms: number[]) => [...ms].sort((a, b) => a - b);
  const [l, w, r] = [sorted(t.load), sorted(t.write), sorted(t.readBack)];
  const share = Math.round((100 * (sum(l) + sum(w))) / rowSeconds);
  return `${fmt(w.length)} | ${pct(l, 0.5)} / ${pct(l, 0.99)} | ${pct(w, 0.5)} / ${pct(w, 0.99)}${r.length > 0 ? ` (read-back ${pct(r, 0.5)})` : ''} | ${share}%`;
};

/** Warnings and errors the projector logs (store unavailable, retries): counted, a few kept. */
function countingLogger(): { logger: Logger; count: () => number; first: () => string[] } {
  let count = 0;
  const first: string[] = [];
  const logger = pino({ level: 'warn' }, {
    write: (line: string) => {
      count += 1;
      if (first.length < 3) {
        try {
          const o = JSON.parse(line) as { msg?: string; err?: unknown };
          first.push(`${o.msg ?? ''}${o.err ? `: ${String(typeof o.err === 'string' ? o.err : JSON.stringify(o.err)).slice(0, 160)}` : ''}`);
        } catch { first.push(line.slice(0, 160)); }
      }
    },
  });
  return { logger, count: () => count, first: () => first };
}

// ---- correctness ----
type Summary = { readonly revision: bigint; readonly balance: bigint };
type Expected = LoadMessage & { type: 'done' };

/**
 * Sampled accounts: the summary equals the fold of its stream as the event
 * store holds it, up to the summary's revision (a capped row stopped
 * midway). A complete row also has every account, at the generator's last
 * revision and balance.
 */
async function check(
  client: EventStoreDBClient, ids: readonly string[], summaries: (ids: readonly string[] | undefined) => Promise<Map<string, Summary>>,
  complete: boolean, expected: Expected | undefined,
): Promise<string> {
  const step = Math.max(1, Math.floor(ids.length / SAMPLE));
  const sample = ids.filter((_, i) => i % step === 0).slice(0, SAMPLE);
  const docs = await summaries(complete ? undefined : sample);
  const store = new EsdbAccountEventStore(client);
  const wrong: string[] = [];
  let absent = 0;
  for (let i = 0; i < sample.length; i += 16) {
    await Promise.all(sample.slice(i, i + 16).map(async (id) => {
      const doc = docs.get(id);
      const stream = await store.readStream(accountStream(id), 0n);
      if (doc === undefined) {
        absent += 1;
        if (complete) wrong.push(`${id}: no summary`);
        return;
      }
      const upTo = stream.filter((e) => e.revision <= doc.revision);
      const state = fold(upTo.map((e) => e.event).filter((e): e is AccountEvent => e !== undefined));
      const balance = state.status === 'none' ? undefined : state.balance;
      const last = upTo.at(-1)?.revision;
      if (last !== doc.revision || balance !== doc.balance) wrong.push(`${id}: summary r${doc.revision} ${doc.balance}, stream r${String(last)} ${String(balance)}`);
      else if (complete && stream.at(-1)?.revision !== doc.revision) wrong.push(`${id}: summary r${doc.revision}, stream at r${String(stream.at(-1)?.revision)}`);
    }));
  }
  let all = '';
  if (complete) {
    if (docs.size !== ids.length) wrong.push(`${docs.size} summaries for ${ids.length} accounts`);
    if (expected !== undefined && expected.failed === 0) {
      const off = ids.filter((id, i) => {
        const d = docs.get(id);
        const [r, b] = expected.expected[i]!;
        return d === undefined || d.revision !== BigInt(r) || d.balance !== BigInt(b);
      });
      if (off.length > 0) wrong.push(`${off.length} summaries differ from the generator, e.g. ${off[0]}`);
      else all = `; all ${fmt(ids.length)} = generator`;
    }
  }
  if (wrong.length > 0) return `**WRONG**: ${wrong.length} (${wrong.slice(0, 2).join('; ')})`;
  return complete ? `ok: ${sample.length} sampled = fold${all}` : `ok (partial): ${sample.length - absent} sampled = fold to their revision, ${absent} not yet written`;
}

const mongoSummaries = (db: Db, collection: string) => async (ids: readonly string[] | undefined): Promise<Map<string, Summary>> => {
  const filter = ids === undefined ? {} : { _id: { $in: [...ids] } };
  const docs = await db.collection<{ _id: string; revision: bigint; balance: bigint }>(collection)
    .find(filter, { projection: { revision: 1, balance: 1 }, useBigInt64: true }).toArray();
  return new Map(docs.map((d) => [d._id, { revision: BigInt(d.revision), balance: BigInt(d.balance) }]));
};
const memorySummaries = (store: InMemoryReadModelStore, collection: string) => async (): Promise<Map<string, Summary>> =>
  new Map([...(store.summaries.get(collection) ?? new Map())].map(([id, d]) => [id, { revision: d.revision, balance: d.balance }]));

// ---- one read store ----
type Mongo = { server: EmbeddedMongo; client: MongoClient; db: Db; profile: ReadStoreProfile; fresh: boolean };

async function startMongo(b: Backend): Promise<Mongo> {
  const server = await b.start!();
  const profile = b.profile!;
  const client = await MongoClient.connect(server.url, { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: profile.opTimeoutMs + 5_000 });
  return { server, client, db: client.db('ledger_bench'), profile, fresh: true };
}
async function stopMongo(m: Mongo, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await m.client.close(true).catch(() => {});
  await m.server.stop(signal);
}

const projectorRows: string[] = [];
const rebuildRows: string[] = [];
const notes: string[] = [];

type ProjectorOutcome = { ids: readonly string[]; expected: Expected | undefined; mongoKilled: boolean };

async function projectorRow(b: Backend, esdb: BenchServer, client: EventStoreDBClient, mongo: Mongo | undefined): Promise<ProjectorOutcome> {
  const { logger, count: warnings, first: firstWarnings } = countingLogger();
  const group = `bench-${b.key}`;
  const acked = new Set<string>();
  let delivered = 0;
  let redelivered = 0;
  const decorate = (src: ProjectionSource): ProjectionSource => ({
    deliveries: async function* () {
      for await (const d of src.deliveries()) {
        delivered += 1;
        if (d.retryCount > 0) redelivered += 1;
        yield d;
      }
    },
    ack: async (ids) => { await src.ack(ids); for (const id of ids) acked.add(id); },
    retry: (ids, r) => src.retry(ids, r),
    park: (ids, r) => src.park(ids, r),
    close: () => src.close(),
  });

  // The projector, as `npm start` wires it (the stub: the same classes around the in-memory store).
  let times: StoreTimes;
  let stop: () => Promise<void>;
  let summaries: (ids: readonly string[] | undefined) => Promise<Map<string, Summary>>;
  let bulkWrites = (): number => NaN;
  if (mongo === undefined) {
    const store = new InMemoryReadModelStore();
    times = timeStore(store);
    await ensureAccountSubscriptionGroup(client, { group, consumerStrategy: settingsBase.consumerStrategy, maxRetryCount: Math.max(settingsBase.maxRetries + 5, 100), messageTimeoutMs: settingsBase.messageTimeoutMs });
    const decode = decoderWith([]);
    const projector = new AccountProjector(
      () => decorate(AccountSubscription.open(client, group, settingsBase.batchSize * 2)),
      new AccountProjectionWriter(store, new AccountGapReader(client), decode), store, async () => DEFAULT_TARGETS,
      { decode, batchSize: settingsBase.batchSize, batchMs: settingsBase.batchMs, maxRetries: settingsBase.maxRetries, retryBackoffMs: settingsBase.retryBackoffMs, unavailableBackoffMaxMs: 5_000, logger },
    );
    projector.start();
    stop = () => projector.stop();
    summaries = memorySummaries(store, DEFAULT_TARGETS.summaries);
  } else {
    const running = await startProjector(client, mongo.db, { ...settingsBase, readStore: mongo.profile, group, seedFromLog: false }, logger, undefined, { decorateSource: decorate });
    times = timeStore(running.store);
    bulkWrites = () => running.store.bulkWrites;
    stop = () => running.stop();
    summaries = mongoSummaries(mongo.db, DEFAULT_TARGETS.summaries);
    mongo.fresh = false;
  }

  // The load generator, in its own process.
  const load = fork(LOAD, [esdb.connectionString, String(ACCOUNTS), String(EVENTS), String(RATE), String(SEED)], {
    execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let appended = 0;
  let failed = 0;
  let ids: readonly string[] = [];
  let loadCpuAtDone = NaN;
  const ready = new Promise<void>((resolve, reject) => {
    load.once('exit', (code) => reject(new Error(`load generator exited ${code}`)));
    load.on('message', (m: LoadMessage) => {
      if (m.type === 'ready') { ids = m.ids; resolve(); }
    });
  });
  const done = new Promise<Expected>((resolve) => {
    load.on('message', (m: LoadMessage) => {
      if (m.type === 'progress') { appended = m.appended; failed = m.failed; }
      if (m.type === 'done') { appended = m.appended; failed = m.failed; loadCpuAtDone = procCpu(load.pid); resolve(m); }
    });
  });
  await ready;

  // Samples every 250 ms: lag, stalls, the slowest 10 s of the load.
  const samples: { t: number; projected: number; lag: number }[] = [];
  let maxLag = 0;
  let lastProgressAt = 0;
  let lastProjected = 0;
  let stalls = 0;
  let longestStall = 0;
  let inStall = false;
  const t0 = performance.now();
  const c0 = cpuNow(esdb, mongo?.server, load);
  load.send({ go: true });
  const sampler = setInterval(() => {
    const t = (performance.now() - t0) / 1000;
    const projected = acked.size;
    const lag = Math.max(0, appended - projected);
    samples.push({ t, projected, lag });
    maxLag = Math.max(maxLag, lag);
    if (projected > lastProjected || lag === 0) { lastProjected = projected; lastProgressAt = t; inStall = false; }
    else if (t - lastProgressAt >= 5) {
      if (!inStall) stalls += 1;
      inStall = true;
      longestStall = Math.max(longestStall, t - lastProgressAt);
    }
  }, 250);

  const expected = await done;
  const tLoad = (performance.now() - t0) / 1000;
  const projectedAtLoadEnd = acked.size;
  const lagAtLoadEnd = Math.max(0, expected.appended - projectedAtLoadEnd);
  maxLag = Math.max(maxLag, lagAtLoadEnd);
  const drainDeadline = performance.now() + DRAIN_SECONDS * 1000;
  while (acked.size < expected.appended && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 10));
  const tEnd = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const c1 = { ...cpuNow(esdb, mongo?.server), load: loadCpuAtDone };
  const mongoRss = mongo ? procRssMiB(mongo.server.process.pid) : NaN;
  load.send({ exit: true });
  const projected = acked.size;
  const complete = projected >= expected.appended;

  let slowest10s = Infinity;
  for (const s of samples) {
    if (s.t < 10 || s.t > tLoad) continue;
    const before = samples.find((p) => p.t >= s.t - 10);
    if (before !== undefined && s.t - before.t >= 9.5) slowest10s = Math.min(slowest10s, (s.projected - before.projected) / (s.t - before.t));
  }

  // Checked before stopping: a capped projector may still be writing; a summary read is whole at its revision.
  const result = await check(client, ids, summaries, complete, complete ? expected : undefined);

  // Stop, bounded: a slow server may hold a batch for long; then it is killed, and the rebuild row gets a fresh one.
  let mongoKilled = false;
  const stopped = stop().then(() => true);
  if (!(await Promise.race([stopped, new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))])) && mongo !== undefined) {
    await stopMongo(mongo, 'SIGKILL');
    mongoKilled = true;
  }
  await stopped.catch(() => {});

  const drain = complete ? `${(tEnd - tLoad).toFixed(1)} s` : `**capped at ${DRAIN_SECONDS} s**, lag ${fmt(expected.appended - projected)} left`;
  projectorRows.push(`| ${b.label} | ${fmt(expected.appended / expected.seconds)} (p99 append ${expected.appendP99Ms} ms) | ${fmt(projectedAtLoadEnd / tLoad)} | ${Number.isFinite(slowest10s) ? fmt(slowest10s) : '–'} | ${fmt(lagAtLoadEnd)} / ${fmt(maxLag)} | ${drain} | ${stalls === 0 ? 'none' : `${stalls} (longest ${longestStall.toFixed(0)} s)`} | ${fmt(projected)} in ${tEnd.toFixed(1)} s = ${fmt(projected / tEnd)}/s | ${cpuCells(c0, c1, projected, true)} | ${storeCells(times, tEnd)} | ${Number.isFinite(bulkWrites()) ? fmt(bulkWrites()) : '–'} | ${Number.isFinite(mongoRss) ? `${fmt(mongoRss)} MiB` : '–'} | ${result} |`);
  console.error(`[read-side] projector ${b.key}: ${projectorRows.at(-1)}`);
  if (warnings() > 0) notes.push(`projector on ${b.key}: ${warnings()} warnings/errors logged, first: ${firstWarnings().join(' | ')}`);
  if (redelivered > 0) notes.push(`projector on ${b.key}: ${fmt(redelivered)} of ${fmt(delivered)} deliveries were redeliveries (message timeout ${settingsBase.messageTimeoutMs / 1000} s while a batch was being written)`);
  if (failed > 0) notes.push(`load on ${b.key}: ${failed} appends failed`);
  // The rebuild reads the whole log whatever the projector managed: the generator's state applies to it.
  return { ids, expected, mongoKilled };
}

async function rebuildRow(b: Backend, esdb: BenchServer, client: EventStoreDBClient, mongo: Mongo | undefined, ids: readonly string[], expected: Expected | undefined): Promise<void> {
  const log = new AccountLogReader(client);
  const collection = `account_summaries_rebuild_${b.key.replace(/-/g, '_')}`;
  let store: ReadModelStore;
  let collections: RebuildCollections;
  let registry: { activeCollection(p: string): Promise<string>; setActiveCollection(p: string, c: string): Promise<void> };
  let summaries: (ids: readonly string[] | undefined) => Promise<Map<string, Summary>>;
  let bulkWrites = (): number => NaN;
  if (mongo === undefined) {
    const memory = new InMemoryReadModelStore();
    store = memory;
    collections = { create: async () => {}, drop: async () => {} };
    let active: string = DEFAULT_TARGETS.summaries;
    registry = { activeCollection: async () => active, setActiveCollection: async (_p, c) => { active = c; } };
    summaries = memorySummaries(memory, collection);
  } else {
    const mongoStore = new MongoReadModelStore(mongo.db, mongo.profile);
    store = mongoStore;
    bulkWrites = () => mongoStore.bulkWrites;
    collections = mongoRebuildCollections(mongo.db, mongo.profile);
    const reg = mongo.fresh ? await ensureReadModel(mongo.db, mongo.profile) : new ProjectionRegistry(mongo.db);
    registry = { activeCollection: (p) => reg.getActiveCollection(p), setActiveCollection: (p, c) => reg.setActiveCollection(p, c) };
    summaries = mongoSummaries(mongo.db, collection);
  }
  const times = timeStore(store);
  const target = rebuildTargetFor('account_summaries', collection, store, log, collections);
  const source = new AccountLogSubscription(client, () => log.head());
  let recorded: RebuildProgress | undefined;
  let capped: { seconds: number; events: number; check: string } | undefined;
  const t0 = performance.now();
  const c0 = cpuNow(esdb, mongo?.server);
  let c1: Cpu | undefined;
  const control: RebuildControl = {
    recorded: () => recorded,
    record: async (p) => { recorded = p; },
    cancelRequested: async () => {
      const seconds = (performance.now() - t0) / 1000;
      if (seconds < ROW_SECONDS) return false;
      // Capped: checked here, before the rebuild drops what it built.
      c1 = cpuNow(esdb, mongo?.server);
      const events = recorded?.eventsDone ?? 0;
      capped = { seconds, events, check: await check(client, ids, summaries, false, undefined) };
      return true;
    },
    scheduleDrop: async () => {},
  };
  const out = await runRebuild(source, target, registry, control, { projection: 'account_summaries', batchSize: config.REBUILD_BATCH_SIZE, settleMs: 0, flushEveryMs: config.REBUILD_FLUSH_MS })
    .finally(() => source.close());
  const seconds = capped?.seconds ?? (performance.now() - t0) / 1000;
  c1 ??= cpuNow(esdb, mongo?.server);
  const events = capped?.events ?? out.progress.eventsDone;
  const result = capped?.check ?? await check(client, ids, summaries, true, expected);
  const rate = `${fmt(events / seconds)}${capped ? ` (**capped at ${ROW_SECONDS} s**, ${(100 * events / EVENTS).toFixed(1)}% done)` : ''}`;
  rebuildRows.push(`| ${b.label}${mongo?.fresh === true ? ' (fresh server)' : ''} | ${fmt(events)} | ${seconds.toFixed(1)} | ${rate} | ${cpuCells(c0, c1, events, false)} | ${storeCells(times, seconds)} | ${Number.isFinite(bulkWrites()) ? fmt(bulkWrites()) : '–'} | ${result} |`);
  console.error(`[read-side] rebuild ${b.key}: ${rebuildRows.at(-1)}`);
}

// ---- run ----
const started = performance.now();
const loadStart = loadavg()[0]!;
console.error(`[read-side] ${fmt(ACCOUNTS)} accounts, ${fmt(EVENTS)} events at ${fmt(RATE)}/s; read stores: ${SERVERS.join(', ')}`);
for (const key of SERVERS) {
  const b = BACKENDS.find((x) => x.key === key);
  if (b === undefined) throw new Error(`unknown read store ${key}; one of ${BACKENDS.map((x) => x.key).join(', ')}`);
  const esdb = await startBenchServer(['--memory']);
  const conn = connectEventStore(esdb.connectionString);
  let mongo: Mongo | undefined;
  try {
    mongo = b.start ? await startMongo(b) : undefined;
    const p = await projectorRow(b, esdb, conn.client, mongo);
    if (mongo !== undefined && p.mongoKilled) {
      notes.push(`${b.key}: the projector did not stop within 20 s (a batch in hand); the server was killed and the rebuild ran on a fresh one`);
      mongo = await startMongo(b);
    }
    await rebuildRow(b, esdb, conn.client, mongo, p.ids, p.expected);
  } catch (err) {
    notes.push(`${b.key}: **failed**: ${String(err)}`);
    console.error(`[read-side] ${b.key} failed`, err);
  } finally {
    if (mongo !== undefined) await stopMongo(mongo);
    await conn.close();
    await esdb.stop();
  }
}

console.log(`read side: ${fmt(ACCOUNTS)} accounts, ${fmt(EVENTS)} events (openings first, then deposits/withdrawals uniform over accounts), one event per append`);
console.log(`event store: ledger-esdb --memory (child); projector: batch ${settingsBase.batchSize} / ${settingsBase.batchMs} ms, ${settingsBase.consumerStrategy}; rebuild: batch ${config.REBUILD_BATCH_SIZE}, flush every ${config.REBUILD_FLUSH_MS} ms, settle 0`);
console.log(`load average 1 min: ${loadStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end; ${((performance.now() - started) / 60_000).toFixed(1)} min in all\n`);
console.log(`### projector end to end, load ${fmt(RATE)} events/s offered (lag cap after the load: ${DRAIN_SECONDS} s)\n`);
console.log('| read store | load events/s achieved | projected events/s during load | slowest 10 s of the load | lag at load end / max | lag back to 0 after load | stalls (5 s, no progress, lag > 0) | events projected, whole row | CPU s per 1,000 events: bench / esdb / Mongo / load | batches | loadSummaries p50 / p99 ms | writeBatch p50 / p99 ms | store share of wall time | bulkWrites | Mongo RSS | check |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of projectorRows) console.log(r);
console.log(`\n### rebuild of account_summaries into a new collection (cap ${ROW_SECONDS} s, checked between batches)\n`);
console.log('| read store | events | seconds | events/s | CPU s per 1,000 events: bench / esdb / Mongo | batches | loadSummaries p50 / p99 ms | writeBatch p50 / p99 ms | store share of wall time | bulkWrites | check |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rebuildRows) console.log(r);
if (notes.length > 0) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
process.exit(0);
