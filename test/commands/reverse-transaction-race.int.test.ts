import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FORWARDS } from '@eventstore/db-client';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import type { LedgerClient } from './ledger-client.js';

let api: ApiUnderTest;
let one: LedgerClient;
let two: LedgerClient;
beforeAll(async () => {
  // Two API servers, each its own handler and cache, like two processes.
  api = await startApiUnderTest({ servers: 2 });
  [one, two] = api.clients as [LedgerClient, LedgerClient];
});
afterAll(async () => api?.stop());

test('a deposit reversal racing withdrawals of the same money on another server, 20 rounds: never below zero, exactly one wins each round', async () => {
  for (let round = 0; round < 20; round++) {
    const accountId = randomUUID();
    await one.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' });
    await one.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 100n, currency: 'EUR' });
    let depositId = '';
    for await (const r of api.esdb.client.readStream(`account-${accountId}`, { direction: FORWARDS, fromRevision: 1n, maxCount: 1 })) depositId = r.event?.id ?? '';
    const [withdrawal, reversal] = await Promise.all([
      two.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 100n, currency: 'EUR' }),
      one.call(AccountCommands.method.reverseTransaction, { commandId: randomUUID(), accountId, transactionId: depositId }),
    ]);
    expect([withdrawal.ok, reversal.ok].filter(Boolean)).toHaveLength(1);
    const loser = withdrawal.ok ? reversal : withdrawal;
    expect(loser.ok || loser.errorInfo?.reason).toBe('INSUFFICIENT_FUNDS');
    const now = await one.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 2n } });
    expect(now.ok && now.response.account?.balance).toBe(0n);
  }
});
