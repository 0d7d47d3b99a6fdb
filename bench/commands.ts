/**
 * Command-path benchmark (issues 4 and 17). Three processes: the event store
 * (bin/ledger-esdb.js), the API (workers/api.ts) and this load generator.
 *   1. raw appends through @eventstore/db-client (our adapter), 64 writers over 1,000 streams;
 *   2. Ledger's CommandHandler in this process, Deposit/Withdraw over 1,000 accounts;
 *   3. Deposit/Withdraw over gRPC, 64 clients over 1,000 accounts;
 *   4. the same against one hot account.
 * Prints throughput, p50/p99, conflict retries and CPU per command per
 * process, and each row's ratio to the raw append rate.
 * Usage: tsx bench/commands.ts [--seconds 10] [--no-fsync] [--channels 1]
 *   [--profile]: CPU profiles of this process (raw appends, in-process
 *   handler) and of the API (gRPC over 1,000 accounts) into a temp dir,
 *   summarized by package and top self-time functions.
 *   [--api-node-options "--max-semi-space-size=32"]: extra node flags for the API process.
 *   [--compare-api-node-options "..."]: a second API with these flags; the gRPC scenario
 *   runs twice on each, alternated, in the same run.
 *   [--floors]: the gRPC load against bench/null-api-server.ts too (the hop's floor).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_SCHEMA_VERSION, RevisionConflict } from '../src/domain/index.js';
import { freePort } from '../src/embedded/index.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { RETRIES_TRAILER } from '../src/grpc/account-commands-service.js';
import { AccountCommands } from '../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { LedgerClient, type Answer } from '../test/commands/ledger-client.js';
import { TABLE_HEADER, formatRow, runLoad, type LoadResult } from './commands-load.js';
import { spawnUntil, type Child } from './commands-processes.js';
import { withCpu, type Measured } from './commands-cpu.js';
import { InProcessCommands } from './commands-in-process.js';
import { CpuProfiler } from './cpu-profiler.js';
import { printSummary } from './cpu-profile-summary.js';

const CONCURRENCY = 64;
const ACCOUNTS = 1_000;
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 10) || 10;
const fsync = !args.includes('--no-fsync');
// Concurrent callers share HTTP/2 connections, as the raw writers share one client connection.
const channels = Number(args[args.indexOf('--channels') + 1] ?? 1) || 1;
const profileDir = args.includes('--profile') ? mkdtempSync(join(tmpdir(), 'ledger-bench-profiles-')) : undefined;
const nodeOptionsArg = (flag: string): string[] | undefined =>
  args.includes(flag) ? (args[args.indexOf(flag) + 1] ?? '').split(' ').filter((a) => a !== '') : undefined;
const apiNodeOptions = nodeOptionsArg('--api-node-options') ?? [];
// A second API with other node flags, measured in the same run (the machine is too noisy to compare runs).
const variantNodeOptions = nodeOptionsArg('--compare-api-node-options');
const floors = args.includes('--floors');
const root = fileURLToPath(new URL('..', import.meta.url));
const profiles: { title: string; file: string; ops: number }[] = [];
// Child processes started with bench/api-profiling.ts preloaded when profiling.
const profilingPreload = profileDir ? ['--import', join(root, 'bench/api-profiling.ts')] : [];
const profilingEnv: Record<string, string> = profileDir ? { LEDGER_BENCH_PROFILE_DIR: profileDir } : {};

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const children: Child[] = [];
  try {
    const esdb = await spawnUntil(
      process.execPath,
      [join(root, 'bin/ledger-esdb.js'), '--port', '0', '--data', dataDir, ...(fsync ? [] : ['--no-fsync'])],
      {},
      /^(esdb:\/\/\S+)$/,
    );
    children.push(esdb.child);
    const esdbUrl = esdb.match[1] ?? '';
    const startApi = async (nodeOptions: readonly string[]) => {
      const port = await freePort();
      const metricsPort = await freePort();
      const { child } = await spawnUntil(
        process.execPath,
        [...nodeOptions, '--import', 'tsx', ...profilingPreload, join(root, 'workers/api.ts')],
        { ESDB_URL: esdbUrl, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(port), METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info', ...profilingEnv },
        /gRPC API listening/,
      );
      children.push(child);
      return { child, port };
    };
    const api = await startApi(apiNodeOptions);
    const variant = variantNodeOptions ? await startApi(variantNodeOptions) : undefined;

    const pids = { esdb: esdb.child.process.pid, api: api.child.process.pid };
    const own = profileDir ? new CpuProfiler(profileDir) : undefined;
    const profiled = async (title: string, name: string, run: () => Promise<LoadResult | undefined>): Promise<LoadResult | undefined> => {
      if (!own) return run();
      await own.start();
      const result = await run();
      profiles.push({ title, file: await own.stop(name), ops: result?.ok ?? 0 });
      return result;
    };
    const measured: Measured[] = [];
    const rawStreams: RawStream[] = Array.from({ length: ACCOUNTS }, () => ({ name: `bench-raw-${randomUUID()}`, revision: -1n }));
    await rawAppends(esdbUrl, rawStreams, undefined);
    measured.push(await withCpu(pids, () => profiled('load generator, raw appends', 'raw', () => rawAppends(esdbUrl, rawStreams, `raw appends, ${ACCOUNTS} streams`))));
    const inProcess = new InProcessCommands(esdbUrl);
    await inProcess.open(ACCOUNTS, CONCURRENCY);
    measured.push(await withCpu(pids, () => profiled('load generator, CommandHandler in-process', 'handler', () => inProcess.run(`CommandHandler in-process, ${ACCOUNTS} accounts`, CONCURRENCY, seconds))));
    await inProcess.close();
    const connections = Array.from({ length: channels }, () => new LedgerClient(`127.0.0.1:${api.port}`));
    const clients = Array.from({ length: CONCURRENCY }, (_, i) => connections[i % channels] as LedgerClient);
    const accounts = await openAccounts(clients, ACCOUNTS);
    if (variant && variantNodeOptions) {
      const variantConnections = Array.from({ length: channels }, () => new LedgerClient(`127.0.0.1:${variant.port}`));
      const variantClients = Array.from({ length: CONCURRENCY }, (_, i) => variantConnections[i % channels] as LedgerClient);
      const variantAccounts = await openAccounts(variantClients, ACCOUNTS);
      const variantPids = { ...pids, api: variant.child.process.pid };
      // Alternated, so both see the same share of the machine's noise.
      for (let round = 0; round < 2; round++) {
        measured.push(await withCpu(pids, () => commands(clients, accounts, `gRPC commands, ${ACCOUNTS} accounts (${round + 1})`)));
        measured.push(await withCpu(variantPids, () => commands(variantClients, variantAccounts, `gRPC commands, ${ACCOUNTS} accounts, API node ${variantNodeOptions.join(' ')} (${round + 1})`)));
      }
      variantConnections.forEach((c) => c.close());
    }
    measured.push(await withCpu(pids, () => profiledChild(api.child, 'API process, gRPC commands', () => commands(clients, accounts, `gRPC commands, ${ACCOUNTS} accounts`))));
    measured.push(await withCpu(pids, () => commands(clients, accounts.slice(0, 1), 'gRPC commands, 1 hot account')));
    connections.forEach((c) => c.close());
    if (floors) measured.push(await nullApiFloor(children, pids));
    // Again at the end: the machine is shared, so the ratio uses the mean of both raw runs.
    measured.push(await withCpu(pids, () => rawAppends(esdbUrl, rawStreams, `raw appends, ${ACCOUNTS} streams (again)`)));
    report(measured);
    for (const p of profiles) printSummary(p.title, p.file, root, p.ops);
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The store's own rate for the same work: one MoneyDeposited append at an
 * expected revision, through the same adapter the API uses. Streams are
 * created (untimed) first, as the accounts are opened before the commands run.
 */
async function rawAppends(esdbUrl: string, streams: RawStream[], label: string | undefined): Promise<LoadResult | undefined> {
  const connection = connectEventStore(esdbUrl);
  const store = new EsdbAccountEventStore(connection.client);
  // Each writer owns its streams: the raw rate measures appends, not conflicts between writers.
  const owned = Array.from({ length: CONCURRENCY }, (_, w) => streams.filter((_, i) => i % CONCURRENCY === w));
  const appendOne = async (stream: RawStream): Promise<number | 'failed'> => {
    const commandId = randomUUID();
    const metadata = { occurredAt: new Date().toISOString(), commandId, correlationId: commandId, causationId: commandId, schemaVersion: EVENT_SCHEMA_VERSION };
    try {
      const appended = await store.appendToStream(stream.name, [{ event: { type: 'MoneyDeposited', data: { amount: 10n } }, metadata }], stream.revision);
      stream.revision = appended.revision;
      return 0;
    } catch (e) {
      if (e instanceof RevisionConflict) stream.revision = e.actualRevision;
      return 'failed';
    }
  };
  try {
    if (label === undefined) {
      // Untimed: create every stream with its first event.
      await Promise.all(owned.map(async (mine) => { for (const s of mine) await appendOne(s); }));
      return undefined;
    }
    return await runLoad(label, CONCURRENCY, seconds, (worker) => appendOne(pick(owned[worker] ?? [])));
  } finally {
    await connection.close();
  }
}

/** The same gRPC load against bench/null-api-server.ts: what the hop costs with no work behind it. */
async function nullApiFloor(children: Child[], pids: { esdb: number | undefined }): Promise<Measured> {
  const nullApi = await spawnUntil(process.execPath, ['--import', 'tsx', ...profilingPreload, join(root, 'bench/null-api-server.ts')], profilingEnv, /^null API listening on (\d+)$/);
  children.push(nullApi.child);
  const connections = Array.from({ length: channels }, () => new LedgerClient(`127.0.0.1:${nullApi.match[1] ?? ''}`));
  const clients = Array.from({ length: CONCURRENCY }, (_, i) => connections[i % channels] as LedgerClient);
  const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
  try {
    return await withCpu({ ...pids, api: nullApi.child.process.pid }, () =>
      profiledChild(nullApi.child, 'null API process', () => commands(clients, accounts, 'gRPC commands, null API (the hop alone; API column = its CPU)')),
    );
  } finally {
    connections.forEach((c) => c.close());
  }
}

type RawStream = { readonly name: string; revision: bigint };

async function openAccounts(clients: LedgerClient[], n: number): Promise<string[]> {
  const accounts = Array.from({ length: n }, () => randomUUID());
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < accounts.length) {
        const accountId = accounts[next++] ?? '';
        must(await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'bench', currency: 'EUR' }));
        must(await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 1_000_000_000n, currency: 'EUR' }));
      }
    }),
  );
  return accounts;
}

async function commands(clients: LedgerClient[], accounts: string[], label: string): Promise<LoadResult> {
  return runLoad(label, clients.length, seconds, async (worker) => {
    const client = clients[worker];
    if (!client) return 'failed';
    const accountId = pick(accounts);
    const request = { commandId: randomUUID(), accountId, amount: BigInt(1 + Math.floor(Math.random() * 100)), currency: 'EUR' };
    const answer =
      Math.random() < 0.5
        ? await client.call(AccountCommands.method.deposit, request)
        : await client.call(AccountCommands.method.withdraw, request);
    if (!answer.ok) return 'failed';
    return Number(answer.trailer.get(RETRIES_TRAILER)[0] ?? 0);
  });
}

function report(measured: Measured[]): void {
  const raws = measured.filter((m) => m.result.label.startsWith('raw')).map((m) => m.result.perSecond);
  const rawRate = raws.reduce((a, b) => a + b, 0) / Math.max(1, raws.length);
  console.log(
    `\ncommand service benchmark: ${new Date().toISOString()}, ${CONCURRENCY} concurrent clients on ${channels} connection(s), ` +
      `${seconds} s per scenario, fsync ${fsync ? 'on' : 'off'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}` +
      (apiNodeOptions.length > 0 ? `, API node options ${apiNodeOptions.join(' ')}` : ''),
  );
  console.log(TABLE_HEADER);
  for (const m of measured) console.log(formatRow(m.result));
  console.log('\n| scenario | CPU ms per op: load generator | API | event store | all |\n|---|---|---|---|---|');
  for (const { result, cpuMs } of measured) {
    const per = (ms: number) => (result.ok === 0 ? '-' : (ms / result.ok).toFixed(3));
    console.log(`| ${result.label} | ${per(cpuMs.bench)} | ${per(cpuMs.api)} | ${per(cpuMs.esdb)} | ${per(cpuMs.bench + cpuMs.api + cpuMs.esdb)} |`);
  }
  if (rawRate > 0) {
    console.log(`\nshare of the mean raw append rate (${rawRate.toFixed(0)}/s):`);
    for (const { result } of measured.filter((m) => !m.result.label.startsWith('raw'))) {
      console.log(`  ${result.label}: ${result.perSecond.toFixed(0)} / ${rawRate.toFixed(0)} = ${(result.perSecond / rawRate).toFixed(2)}`);
    }
  }
}

/** Runs `run` with a child process profiled (when profiling), recording the profile for the summary. */
async function profiledChild(child: Child, title: string, run: () => Promise<LoadResult>): Promise<LoadResult> {
  if (!profileDir) return run();
  const profile = profileOnSignal(child);
  await profile.toggle();
  const result = await run();
  const file = await profile.toggle();
  if (file) profiles.push({ title, file, ops: result.ok });
  return result;
}

/**
 * Profiles the API between two toggles (bench/api-profiling.ts, preloaded
 * into it): SIGUSR2 starts; the second writes the profile, whose path the
 * API prints.
 */
function profileOnSignal(api: Child): { toggle(): Promise<string | undefined> } {
  const written: string[] = [];
  const waiting: ((file: string) => void)[] = [];
  createInterface({ input: api.process.stdout! }).on('line', (line) => {
    const file = line.match(/^cpu profile written: (.+)$/)?.[1];
    if (file === undefined) return;
    const next = waiting.shift();
    if (next) next(file);
    else written.push(file);
  });
  let running = false;
  return {
    toggle: async () => {
      api.process.kill('SIGUSR2');
      running = !running;
      if (running) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // the inspector starts asynchronously
        return undefined;
      }
      return written.shift() ?? (await new Promise<string>((resolve) => waiting.push(resolve)));
    },
  };
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function must<T>(answer: Answer<T>): void {
  if (!answer.ok) throw new Error(`setup call failed: ${answer.code} ${answer.message}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
