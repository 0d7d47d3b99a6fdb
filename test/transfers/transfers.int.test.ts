import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler, Transfers } from '../../src/app/index.js';
import { loadConfig } from '../../src/config.js';
import { auditEventStore } from '../../src/eventstore/money-audit-source.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { TransferStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { startTransferProcess, transferProcessSettings, type RunningTransferProcess } from '../../workers/transfer-process.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

const logger = pino({ level: 'silent' });
let backends: TestBackends;
let esdb: EventStoreConnection;
let api: ApiServer;
let client: LedgerClient;
let worker: RunningTransferProcess;

beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  const url = backends.urls.esdb!;
  esdb = connectEventStore(url);
  const store = new EsdbAccountEventStore(esdb.client);
  const handler = new CommandHandler({ store, maxRetries: 50 });
  const transfers = new Transfers(handler, new EsdbTransferEventStore(esdb.client));
  api = await startApiServer({ host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 1024, handler, store, logger, transfers });
  client = new LedgerClient(`127.0.0.1:${api.port}`);
  const config = loadConfig({});
  worker = await startTransferProcess(config, url, logger, { ...transferProcessSettings(config), group: `transfers-${randomUUID()}` });
});
afterAll(async () => {
  client?.close();
  await worker?.stop();
  await api?.close();
  await esdb?.close();
  await backends?.stop();
});

async function open(balance: bigint, currency = 'EUR'): Promise<string> {
  const accountId = randomUUID();
  expect((await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency })).ok).toBe(true);
  if (balance > 0n) expect((await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: balance, currency })).ok).toBe(true);
  return accountId;
}

const transfer = (from: string, to: string, amount: bigint, commandId = randomUUID()) =>
  client.call(AccountCommands.method.transferMoney, { commandId, fromAccountId: from, toAccountId: to, amount, currency: 'EUR' });

async function waitFor(transferId: string) {
  const answer = await client.call(AccountQueries.method.getTransfer, { transferId, waitForCompletion: true }, { deadlineMs: 20_000 });
  if (!answer.ok) throw new Error(answer.message);
  return answer.response.transfer!;
}

async function balanceOf(accountId: string): Promise<bigint> {
  const a = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1_000_000n } });
  if (a.ok) return a.response.account!.balance;
  const head = a.ok ? undefined : a.errorInfo?.metadata['actual_revision'];
  const b = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: BigInt(head ?? '0') } });
  if (!b.ok) throw new Error(b.message);
  return b.response.account!.balance;
}

const audit = () => auditEventStore(esdb.client);

describe('TransferMoney end to end (issue 15)', () => {
  test('a transfer completes: debit answered PENDING with its id, then credited; GetTransfer waits for it', async () => {
    const [a, b] = [await open(1_000n), await open(0n)];
    const answer = await transfer(a, b, 250n);
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.response).toMatchObject({ status: TransferStatus.PENDING, result: { balance: 750n } });
    const done = await waitFor(answer.response.transferId);
    expect(done).toMatchObject({ status: TransferStatus.COMPLETED, fromAccountId: a, toAccountId: b, amount: 250n, currency: 'EUR', failureReason: '' });
    expect(done.requestedAt && done.finishedAt && timestampDate(done.finishedAt) >= timestampDate(done.requestedAt)).toBe(true);
    expect(await balanceOf(b)).toBe(250n);
    // As of the debit the money was in flight out of the source; once settled it is not.
    const atDebit = await client.call(AccountQueries.method.getAccountAsOf, { accountId: a, asOf: { case: 'revision', value: answer.response.result!.revision } });
    expect(atDebit.ok && atDebit.response.account).toMatchObject({ balance: 750n, inFlightOut: 250n });
    for (let i = 0; i < 200; i++) {
      const now = await client.call(AccountQueries.method.getAccountAsOf, { accountId: a, asOf: { case: 'timestamp', value: timestampFromDate(new Date()) } });
      if (now.ok && now.response.account?.inFlightOut === 0n) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const settled = await client.call(AccountQueries.method.getAccountAsOf, { accountId: a, asOf: { case: 'timestamp', value: timestampFromDate(new Date()) } });
    expect(settled.ok && settled.response.account).toMatchObject({ balance: 750n, inFlightOut: 0n });
  });

  test.each([
    ['a missing account', async () => randomUUID(), 'ACCOUNT_NOT_FOUND'],
    ['a closed account', async () => {
      const id = await open(0n);
      await client.call(AccountCommands.method.closeAccount, { commandId: randomUUID(), accountId: id });
      return id;
    }, 'ACCOUNT_CLOSED'],
    ['an account in another currency', async () => open(0n, 'CHF'), 'CURRENCY_MISMATCH'],
  ])('a transfer to %s fails with the reason and the source is refunded', async (_name, destination, reason) => {
    const a = await open(500n);
    const answer = await transfer(a, await destination(), 200n);
    if (!answer.ok) throw new Error(answer.message);
    const done = await waitFor(answer.response.transferId);
    expect(done.status).toBe(TransferStatus.FAILED);
    expect(done.failureReason).toMatch(new RegExp(`^${reason}`));
    // The refund lands right after the outcome is recorded.
    for (let i = 0; i < 200 && (await balanceOf(a)) !== 500n; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await balanceOf(a)).toBe(500n);
  });

  test('the same TransferMoney sent twice is one transfer', async () => {
    const [a, b] = [await open(500n), await open(0n)];
    const commandId = randomUUID();
    const [first, second] = [await transfer(a, b, 100n, commandId), await transfer(a, b, 100n, commandId)];
    if (!first.ok || !second.ok) throw new Error('refused');
    expect(second.response.transferId).toBe(first.response.transferId);
    await waitFor(first.response.transferId);
    expect([await balanceOf(a), await balanceOf(b)]).toEqual([400n, 100n]);
  });

  test('refusals of the debit: to itself (field named), overdraft, unknown transfer', async () => {
    const a = await open(100n);
    const self = await transfer(a, a, 10n);
    expect(self.ok || self.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['to_account_id']);
    expect(await transfer(a, await open(0n), 101n)).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION, errorInfo: { reason: 'INSUFFICIENT_FUNDS' } });
    expect(await client.call(AccountQueries.method.getTransfer, { transferId: randomUUID() })).toMatchObject({ ok: false, code: status.NOT_FOUND, errorInfo: { reason: 'TRANSFER_NOT_FOUND' } });
  });

  test('100 concurrent transfers out of an account that funds 10: exactly 10 complete, nothing overdraws, the audit holds', async () => {
    const a = await open(1_000n);
    const targets = await Promise.all(Array.from({ length: 5 }, () => open(0n)));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => transfer(a, targets[i % 5]!, 100n)));
    const accepted = answers.flatMap((r) => (r.ok ? [r.response.transferId] : []));
    expect(accepted).toHaveLength(10);
    expect(answers.filter((r) => !r.ok).every((r) => !r.ok && r.errorInfo?.reason === 'INSUFFICIENT_FUNDS')).toBe(true);
    const outcomes = await Promise.all(accepted.map(waitFor));
    expect(outcomes.every((t) => t.status === TransferStatus.COMPLETED)).toBe(true);
    expect(await balanceOf(a)).toBe(0n);
    const result = await audit();
    expect(result.violations).toEqual([]);
  });
});

describe('the watchdog (issue 15)', () => {
  test('a transfer whose delivery never reaches a process is driven to its outcome by the watchdog alone', async () => {
    const config = loadConfig({});
    // A process with the watchdog only (its own group is never read), next to the API's debits.
    const [a, b] = [await open(300n), await open(0n)];
    const answer = await transfer(a, b, 120n);
    if (!answer.ok) throw new Error(answer.message);
    await worker.stop();
    const lonely = await transfer(a, b, 80n);
    if (!lonely.ok) throw new Error(lonely.message);
    const watchdogOnly = await startTransferProcess(config, backends.urls.esdb!, logger, { ...transferProcessSettings(config), subscribe: false, watchdogMs: 50, stuckAfterMs: 0 });
    try {
      const done = await waitFor(lonely.response.transferId);
      expect(done.status).toBe(TransferStatus.COMPLETED);
      expect((await waitFor(answer.response.transferId)).status).toBe(TransferStatus.COMPLETED);
      expect(await balanceOf(b)).toBe(200n);
      expect((await audit()).violations).toEqual([]);
    } finally {
      await watchdogOnly.stop();
    }
  });
});
