import { randomUUID } from 'node:crypto';
import { FORWARDS } from '@eventstore/db-client';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import type { LedgerClient } from './ledger-client.js';

let api: ApiUnderTest;
let client: LedgerClient;
beforeAll(async () => {
  api = await startApiUnderTest();
  client = api.clients[0] as LedgerClient;
});
afterAll(async () => api?.stop());

async function eventIds(accountId: string): Promise<{ id: string; type: string; data: unknown }[]> {
  const out: { id: string; type: string; data: unknown }[] = [];
  for await (const r of api.esdb.client.readStream(`account-${accountId}`, { direction: FORWARDS, fromRevision: 'start' })) {
    if (r.event) out.push({ id: r.event.id, type: r.event.type, data: r.event.data });
  }
  return out;
}

async function openWith(amount: bigint): Promise<{ accountId: string; depositId: string }> {
  const accountId = randomUUID();
  expect((await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' })).ok).toBe(true);
  expect((await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' })).ok).toBe(true);
  const deposit = (await eventIds(accountId))[1];
  return { accountId, depositId: deposit!.id };
}

describe('ReverseTransaction over gRPC (issue 15)', () => {
  test('a deposit is reversed: DepositReversed in the stream names it, and GetAccountAsOf before and after', async () => {
    const { accountId, depositId } = await openWith(700n);
    const answer = await client.call(AccountCommands.method.reverseTransaction, { commandId: randomUUID(), accountId, transactionId: depositId, reason: 'wrong account' });
    expect(answer.ok && answer.response.result).toMatchObject({ revision: 2n, balance: 0n });
    const events = await eventIds(accountId);
    expect(events[2]).toMatchObject({ type: 'DepositReversed', data: { transaction_id: depositId, amount: '700', reason: 'wrong account' } });
    expect(events).toHaveLength(3);
    const before = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } });
    expect(before.ok && before.response.account).toMatchObject({ balance: 700n, txCount: 1n });
    const after = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 2n } });
    expect(after.ok && after.response.account).toMatchObject({ balance: 0n, txCount: 2n });
  });

  test('the refusals: already reversed, no such transaction, below zero, closed account', async () => {
    const { accountId, depositId } = await openWith(100n);
    const send = (transactionId: string) => client.call(AccountCommands.method.reverseTransaction, { commandId: randomUUID(), accountId, transactionId });
    expect((await send(depositId)).ok).toBe(true);
    expect(await send(depositId)).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION, errorInfo: { reason: 'TRANSACTION_ALREADY_REVERSED' } });
    expect(await send(randomUUID())).toMatchObject({ ok: false, code: status.NOT_FOUND, errorInfo: { reason: 'TRANSACTION_NOT_FOUND' } });

    const spent = await openWith(100n);
    await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId: spent.accountId, amount: 60n, currency: 'EUR' });
    const below = await client.call(AccountCommands.method.reverseTransaction, { commandId: randomUUID(), accountId: spent.accountId, transactionId: spent.depositId });
    expect(below).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION, errorInfo: { reason: 'INSUFFICIENT_FUNDS' } });

    const closed = await openWith(100n);
    await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId: closed.accountId, amount: 100n, currency: 'EUR' });
    await client.call(AccountCommands.method.closeAccount, { commandId: randomUUID(), accountId: closed.accountId });
    const onClosed = await client.call(AccountCommands.method.reverseTransaction, { commandId: randomUUID(), accountId: closed.accountId, transactionId: closed.depositId });
    expect(onClosed).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION, errorInfo: { reason: 'ACCOUNT_CLOSED' } });
    expect(await eventIds(closed.accountId)).toHaveLength(4);
  });

  test('bad input names each field', async () => {
    const answer = await client.call(AccountCommands.method.reverseTransaction, { commandId: 'x', accountId: randomUUID(), transactionId: '', reason: 'r'.repeat(501) });
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe(status.INVALID_ARGUMENT);
    expect(answer.badRequest?.fieldViolations.map((v) => v.field).sort()).toEqual(['command_id', 'reason', 'transaction_id']);
  });
});
