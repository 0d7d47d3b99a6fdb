import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import { eventTypesOf } from './stream-reading.js';

let api: ApiUnderTest;
beforeAll(async () => {
  api = await startApiUnderTest({ servers: 2 });
});
afterAll(async () => api?.stop());

async function accountWith(balance: bigint): Promise<string> {
  const [client] = api.clients;
  if (!client) throw new Error('no client');
  const accountId = randomUUID();
  const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
  expect(opened.ok).toBe(true);
  const deposited = await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: balance, currency: 'EUR' });
  expect(deposited.ok).toBe(true);
  return accountId;
}

describe.each([
  ['one API server', 1],
  ['two API servers (separate caches, real revision conflicts)', 2],
])('100 concurrent Withdraw(10) on a balance of 100, through %s', (_name, servers) => {
  test('exactly 10 succeed, the rest are refused, the balance ends at 0', async () => {
    const accountId = await accountWith(100n);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api.clients[i % servers]!.call(AccountCommands.method.withdraw, {
          commandId: randomUUID(),
          accountId,
          amount: 10n,
          currency: 'EUR',
        }),
      ),
    );
    const ok = answers.filter((a) => a.ok);
    const refused = answers.filter((a) => !a.ok);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(90);
    for (const r of refused) {
      expect(r).toMatchObject({ code: status.FAILED_PRECONDITION, errorInfo: { reason: 'INSUFFICIENT_FUNDS', domain: 'ledger.v1' } });
    }
    const balances = ok.map((a) => (a.ok ? a.response.result?.balance : undefined)).sort((x, y) => Number((x ?? 0n) - (y ?? 0n)));
    expect(balances).toEqual([0n, 10n, 20n, 30n, 40n, 50n, 60n, 70n, 80n, 90n]);
    const revisions = new Set(ok.map((a) => (a.ok ? a.response.result?.revision : undefined)));
    expect(revisions.size).toBe(10);

    const types = await eventTypesOf(api.esdb, accountId);
    expect(types.filter((t) => t === 'MoneyWithdrawn')).toHaveLength(10);
    expect(types).toHaveLength(12);
  });
});
