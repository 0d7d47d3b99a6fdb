/**
 * Command-path benchmark (issue 4). Three processes: the event store
 * (bin/ledger-esdb.js), the API (workers/api.ts) and this load generator.
 *   1. raw appends through @eventstore/db-client (our adapter), 64 writers over 1,000 streams;
 *   2. Deposit/Withdraw over gRPC, 64 clients over 1,000 accounts;
 *   3. the same against one hot account.
 * Prints throughput, p50/p99 and conflict retries per command, and the
 * command/raw ratio. Usage: tsx bench/commands.ts [--seconds 10] [--no-fsync]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
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

const CONCURRENCY = 64;
const ACCOUNTS = 1_000;
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 10) || 10;
const fsync = !args.includes('--no-fsync');
// Concurrent callers share HTTP/2 connections, as the raw writers share one client connection.
const channels = Number(args[args.indexOf('--channels') + 1] ?? 1) || 1;
const root = fileURLToPath(new URL('..', import.meta.url));

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
    const port = await freePort();
    const metricsPort = await freePort();
    const api = await spawnUntil(
      process.execPath,
      ['--import', 'tsx', join(root, 'workers/api.ts')],
      { ESDB_URL: esdbUrl, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(port), METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' },
      /gRPC API listening/,
    );
    children.push(api.child);

    const pids = { esdb: esdb.child.process.pid, api: api.child.process.pid };
    const measured: Measured[] = [];
    const rawStreams: RawStream[] = Array.from({ length: ACCOUNTS }, () => ({ name: `bench-raw-${randomUUID()}`, revision: -1n }));
    await rawAppends(esdbUrl, rawStreams, undefined);
    measured.push(await withCpu(pids, () => rawAppends(esdbUrl, rawStreams, `raw appends, ${ACCOUNTS} streams`)));
    const connections = Array.from({ length: channels }, () => new LedgerClient(`127.0.0.1:${port}`));
    const clients = Array.from({ length: CONCURRENCY }, (_, i) => connections[i % channels] as LedgerClient);
    const accounts = await openAccounts(clients, ACCOUNTS);
    measured.push(await withCpu(pids, () => commands(clients, accounts, `commands, ${ACCOUNTS} accounts`)));
    measured.push(await withCpu(pids, () => commands(clients, accounts.slice(0, 1), 'commands, 1 hot account')));
    connections.forEach((c) => c.close());
    // Again at the end: the machine is shared, so the ratio uses the mean of both raw runs.
    measured.push(await withCpu(pids, () => rawAppends(esdbUrl, rawStreams, `raw appends, ${ACCOUNTS} streams (again)`)));
    report(measured);
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
  const spread = measured[1]?.result;
  console.log(
    `\ncommand service benchmark: ${new Date().toISOString()}, ${CONCURRENCY} concurrent clients on ${channels} connection(s), ` +
      `${seconds} s per scenario, fsync ${fsync ? 'on' : 'off'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  console.log(TABLE_HEADER);
  for (const m of measured) console.log(formatRow(m.result));
  console.log('\n| scenario | CPU ms per op: load generator | API | event store |\n|---|---|---|---|');
  for (const { result, cpuMs } of measured) {
    const per = (ms: number) => (result.ok === 0 ? '-' : (ms / result.ok).toFixed(3));
    console.log(`| ${result.label} | ${per(cpuMs.bench)} | ${per(cpuMs.api)} | ${per(cpuMs.esdb)} |`);
  }
  if (spread && rawRate > 0) {
    console.log(`\ncommand throughput over ${ACCOUNTS} accounts / mean raw append rate = ${spread.perSecond.toFixed(0)} / ${rawRate.toFixed(0)} = ${(spread.perSecond / rawRate).toFixed(2)}`);
  }
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function must<T>(answer: Answer<T>): void {
  if (!answer.ok) throw new Error(`setup call failed: ${answer.code} ${answer.message}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
