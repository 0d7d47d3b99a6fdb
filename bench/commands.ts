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

const CONCURRENCY = 64;
const ACCOUNTS = 1_000;
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 10) || 10;
const fsync = !args.includes('--no-fsync');
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
    const api = await spawnUntil(
      process.execPath,
      ['--import', 'tsx', join(root, 'workers/api.ts')],
      { ESDB_URL: esdbUrl, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(port), LOG_LEVEL: 'info' },
      /gRPC API listening/,
    );
    children.push(api.child);

    const results: LoadResult[] = [];
    results.push(await rawAppends(esdbUrl));
    const clients = Array.from({ length: CONCURRENCY }, () => new LedgerClient(`127.0.0.1:${port}`));
    const accounts = await openAccounts(clients, ACCOUNTS);
    results.push(await commands(clients, accounts, `commands, ${ACCOUNTS} accounts`));
    results.push(await commands(clients, accounts.slice(0, 1), 'commands, 1 hot account'));
    clients.forEach((c) => c.close());
    report(results);
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The store's own rate for the same work: one MoneyDeposited append at an expected revision. */
async function rawAppends(esdbUrl: string): Promise<LoadResult> {
  const connection = connectEventStore(esdbUrl);
  const store = new EsdbAccountEventStore(connection.client);
  const streams = Array.from({ length: ACCOUNTS }, () => ({ name: `bench-raw-${randomUUID()}`, revision: -1n }));
  try {
    // Each writer owns its streams: the raw rate measures appends, not conflicts between writers.
    return await runLoad(`raw appends, ${ACCOUNTS} streams`, CONCURRENCY, seconds, async (worker) => {
      const stream = pick(streams.filter((_, i) => i % CONCURRENCY === worker));
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
    });
  } finally {
    await connection.close();
  }
}

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

function report(results: LoadResult[]): void {
  const raw = results[0];
  const spread = results[1];
  console.log(`\ncommand service benchmark: ${new Date().toISOString()}, ${CONCURRENCY} concurrent clients, ${seconds} s per scenario, fsync ${fsync ? 'on' : 'off'}`);
  console.log(TABLE_HEADER);
  for (const r of results) console.log(formatRow(r));
  if (raw && spread) console.log(`\ncommand throughput / raw append rate = ${(spread.perSecond / raw.perSecond).toFixed(2)}`);
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function must<T>(answer: Answer<T>): void {
  if (!answer.ok) throw new Error(`setup call failed: ${answer.code} ${answer.message}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
