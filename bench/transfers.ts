/**
 * Transfers benchmark (issue 15). Four processes: the event store
 * (bin/ledger-esdb.js), the API (workers/api.ts), the transfer process
 * (workers/transfer-process.ts) and this load generator; 1,000 accounts,
 * 64 callers in a closed loop.
 *   1. end to end: TransferMoney, then GetTransfer(wait_for_completion)
 *      until COMPLETED: completed transfers per second, p50/p99 latency
 *      from request to completion;
 *   2. the debit-only path beside it: TransferMoney alone (answered once the
 *      debit is recorded); the transfer process keeps crediting behind it.
 * Each scenario also prints the CPU each process spent per completed
 * operation (the machine is shared: rates alone mislead). Ends with the
 * money audit over the whole store. Usage:
 *   npm run bench -- transfers [--seconds 10] [--no-fsync] [--profile]
 * --profile: V8 CPU profiles of the API and the transfer process (written
 * when they stop), summarised by package and function.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/embedded/index.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { auditEventStore } from '../src/eventstore/money-audit-source.js';
import { AccountCommands } from '../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { TransferStatus } from '../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountQueries } from '../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { LedgerClient } from '../test/commands/ledger-client.js';
import { TABLE_HEADER, formatRow, runLoad } from './commands-load.js';
import { spawnUntil, type Child } from './commands-processes.js';
import { processCpuMs } from './commands-cpu.js';
import { printSummary } from './cpu-profile-summary.js';

const CONCURRENCY = 64;
const ACCOUNTS = 1_000;
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 10) || 10;
const fsync = !args.includes('--no-fsync');
const profileDir = args.includes('--profile') ? mkdtempSync(join(tmpdir(), 'ledger-transfers-prof-')) : undefined;
const profiled = (name: string) => (profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`]);
const root = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  const children: Child[] = [];
  try {
    const esdb = await spawnUntil(process.execPath, [join(root, 'bin/ledger-esdb.js'), '--port', '0', '--data', dataDir, ...(fsync ? [] : ['--no-fsync'])], {}, /^(esdb:\/\/\S+)$/);
    children.push(esdb.child);
    const esdbUrl = esdb.match[1] ?? '';
    const port = await freePort();
    const common = { ESDB_URL: esdbUrl, METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'info', AUTH_MODE: 'none' };
    const api = await spawnUntil(process.execPath, [...profiled('api'), '--import', 'tsx', join(root, 'workers/api.ts')], { ...common, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(port), METRICS_PORT: String(await freePort()) }, /gRPC API listening/);
    children.push(api.child);
    const transfers = await spawnUntil(process.execPath, [...profiled('transfer-process'), '--import', 'tsx', join(root, 'workers/transfer-process.ts')], { ...common, METRICS_PORT: String(await freePort()), TRANSFER_CONCURRENCY: '128' }, /transfer process started/);
    children.push(transfers.child);

    // Errors the processes log (a refusal answered INTERNAL is a bug) go to this run's stderr.
    for (const child of [api.child, transfers.child]) {
      child.process.stdout?.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (/"level":"(error|fatal)"/.test(line)) process.stderr.write(`${line.slice(0, 1500)}\n`);
      });
    }
    const client = new LedgerClient(`127.0.0.1:${port}`);
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    await Promise.all(accounts.map(async (accountId) => {
      await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'bench', currency: 'EUR' });
      await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 1_000_000_000n, currency: 'EUR' });
    }));
    const pair = (worker: number) => {
      const from = accounts[Math.floor(Math.random() * ACCOUNTS)]!;
      let to = accounts[Math.floor(Math.random() * ACCOUNTS)]!;
      if (to === from) to = accounts[(accounts.indexOf(from) + 1 + worker) % ACCOUNTS]!;
      return { from, to };
    };
    const transfer = async (worker: number) => {
      const { from, to } = pair(worker);
      return client.call(AccountCommands.method.transferMoney, { commandId: randomUUID(), fromAccountId: from, toAccountId: to, amount: 1n + BigInt(Math.floor(Math.random() * 100)), currency: 'EUR' });
    };
    const failures = new Map<string, number>();
    const failed = (why: string): 'failed' => {
      failures.set(why, (failures.get(why) ?? 0) + 1);
      return 'failed';
    };
    const pids = { 'load generator': process.pid, API: api.child.process.pid, 'transfer process': transfers.child.process.pid, 'event store': esdb.child.process.pid };
    const cpuNow = () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid === process.pid ? (process.cpuUsage().user + process.cpuUsage().system) / 1000 : processCpuMs(pid)]));
    const cpuRows: string[] = [];
    const measured = async (label: string, run: () => Promise<Awaited<ReturnType<typeof runLoad>>>) => {
      const before = cpuNow();
      const result = await run();
      const after = cpuNow();
      const per = Object.keys(pids).map((name) => (after[name]! - before[name]!) / Math.max(result.ok, 1));
      cpuRows.push(`| ${label} | ${per.map((ms) => ms.toFixed(2)).join(' | ')} | ${per.reduce((a, b) => a + b, 0).toFixed(2)} |`);
      return result;
    };
    const endToEnd = await measured('end to end', () => runLoad(`transfers end to end (requested -> completed), ${ACCOUNTS} accounts, ${CONCURRENCY} in flight`, CONCURRENCY, seconds, async (worker) => {
      const asked = await transfer(worker);
      if (!asked.ok) return failed(`TransferMoney ${asked.errorInfo?.reason ?? asked.code}: ${asked.message}`);
      const done = await client.call(AccountQueries.method.getTransfer, { transferId: asked.response.transferId, waitForCompletion: true }, { deadlineMs: 30_000 });
      if (!done.ok) return failed(`GetTransfer ${done.errorInfo?.reason ?? done.code}: ${done.message}`);
      return done.response.transfer?.status === TransferStatus.COMPLETED ? 0 : failed(`GetTransfer answered ${TransferStatus[done.response.transfer?.status ?? 0]}`);
    }));
    const debitOnly = await measured('debit only (the process still crediting behind it)', () => runLoad(`debit only (TransferMoney answered), ${ACCOUNTS} accounts, ${CONCURRENCY} in flight`, CONCURRENCY, seconds, async (worker) => {
      const asked = await transfer(worker);
      return asked.ok ? 0 : failed(`TransferMoney ${asked.errorInfo?.reason ?? asked.code}: ${asked.message}`);
    }));
    client.close();
    console.log(TABLE_HEADER);
    console.log(formatRow(endToEnd));
    console.log(formatRow(debitOnly));
    for (const [why, n] of failures) console.log(`failed ${n}x: ${why}`);
    console.log(`\n| CPU ms per completed op | ${Object.keys(pids).join(' | ')} | all |\n|---|${Object.keys(pids).map(() => '---|').join('')}---|`);
    for (const row of cpuRows) console.log(row);

    // Let the process finish what the debit-only run left in flight, then audit.
    const conn = connectEventStore(esdbUrl);
    try {
      let audit = await auditEventStore(conn.client);
      for (let i = 0; i < 120 && audit.transfersInFlight > 0; i++) {
        await new Promise((r) => setTimeout(r, 500));
        audit = await auditEventStore(conn.client);
      }
      console.log(`audit: ${audit.events} events, balances ${audit.balances} + in flight ${audit.inFlight} = ${audit.netDeposits}: ${audit.violations.length === 0 ? 'conserved' : audit.violations.join('; ')}`);
    } finally {
      await conn.close();
    }
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (profileDir !== undefined) {
      for (const name of ['api', 'transfer-process']) {
        for (const file of readdirSync(join(profileDir, name))) printSummary(name, join(profileDir, name, file), root);
      }
    }
  }
}

void main();
