import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { DUPLICATE_TRAILER } from '../../src/grpc/account-commands-service.js';
import { status } from '@grpc/grpc-js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import { eventsOf } from './stream-reading.js';
import type { LedgerClient } from './ledger-client.js';

let api: ApiUnderTest;
let a: LedgerClient;
let b: LedgerClient;
beforeAll(async () => {
  api = await startApiUnderTest({ servers: 2 });
  [a, b] = api.clients as [LedgerClient, LedgerClient];
});
afterAll(async () => api?.stop());

async function openAccount(): Promise<string> {
  const accountId = randomUUID();
  const r = await a.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
  expect(r.ok).toBe(true);
  return accountId;
}

const deposit = (client: LedgerClient, accountId: string, commandId: string, amount: bigint) =>
  client.call(AccountCommands.method.deposit, { commandId, accountId, amount, currency: 'EUR' });

const resultOf = async (p: ReturnType<typeof deposit>) => {
  const answer = await p;
  if (!answer.ok) throw new Error(`call failed: ${answer.message}`);
  return answer;
};

describe('the same command sent again appends once and answers the same', () => {
  test('twice in a row', async () => {
    const accountId = await openAccount();
    const commandId = randomUUID();
    const first = await resultOf(deposit(a, accountId, commandId, 25n));
    const second = await resultOf(deposit(a, accountId, commandId, 25n));
    expect(second.response.result).toEqual(first.response.result);
    expect(second.trailer.get(DUPLICATE_TRAILER)).toEqual(['true']);
    expect((await eventsOf(api.esdb, accountId)).map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  test('concurrently, to one server and to two servers', async () => {
    const accountId = await openAccount();
    const commandId = randomUUID();
    const answers = await Promise.all([a, a, b, b].map((c) => resultOf(deposit(c, accountId, commandId, 7n))));
    const results = answers.map((x) => x.response.result);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]).toMatchObject({ revision: 1n, balance: 7n });
    const events = await eventsOf(api.esdb, accountId);
    expect(events.filter((e) => e.type === 'MoneyDeposited')).toHaveLength(1);
  });

  test('after other commands landed in between (the store alone would append again)', async () => {
    const accountId = await openAccount();
    const commandId = randomUUID();
    const first = await resultOf(deposit(a, accountId, commandId, 100n));
    await resultOf(deposit(a, accountId, randomUUID(), 1n));
    await resultOf(deposit(b, accountId, randomUUID(), 2n));
    const viaA = await resultOf(deposit(a, accountId, commandId, 100n));
    const viaB = await resultOf(deposit(b, accountId, commandId, 100n));
    expect(viaA.response.result).toEqual(first.response.result);
    expect(viaB.response.result).toEqual(first.response.result);
    expect(first.response.result).toMatchObject({ revision: 1n, balance: 100n });
    const events = await eventsOf(api.esdb, accountId);
    expect(events.map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited', 'MoneyDeposited', 'MoneyDeposited']);
  });

  test('a command_id reused for another command is refused (FAILED_PRECONDITION, IDEMPOTENCY_KEY_REUSED, the original type named) and appends nothing', async () => {
    // Issue 12: a Withdraw of 5 under a Deposit's command_id used to answer the Deposit's result as a duplicate.
    const accountId = await openAccount();
    const commandId = randomUUID();
    await resultOf(deposit(a, accountId, commandId, 1500n));
    for (const client of [a, b]) {
      const reused = await client.call(AccountCommands.method.withdraw, { commandId, accountId, amount: 5n, currency: 'EUR' });
      expect(reused).toMatchObject({
        ok: false,
        code: status.FAILED_PRECONDITION,
        errorInfo: { reason: 'IDEMPOTENCY_KEY_REUSED', domain: 'ledger.v1', metadata: { command_id: commandId, original_command_type: 'Deposit', command_type: 'Withdraw' } },
      });
    }
    expect(await deposit(b, accountId, commandId, 1499n)).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION });
    // The same Deposit again is still the first answer.
    expect((await resultOf(deposit(b, accountId, commandId, 1500n))).response.result).toMatchObject({ revision: 1n, balance: 1500n });
    expect((await eventsOf(api.esdb, accountId)).map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  test('a server whose cache is behind refuses the reused key too, though its events would carry the ids the store already holds', async () => {
    // Given b has the account cached at revision 1,
    const accountId = await openAccount();
    await resultOf(deposit(b, accountId, randomUUID(), 1000n));
    // when a appends a Deposit under command_id X at revision 2,
    const commandId = randomUUID();
    expect((await resultOf(deposit(a, accountId, commandId, 500n))).response.result).toMatchObject({ revision: 2n, balance: 1500n });
    // then a Withdraw under X sent to b (deciding at its cached revision 1, so the store would
    // take the same event ids at the same place as an idempotent repeat) is refused,
    const reused = await b.call(AccountCommands.method.withdraw, { commandId, accountId, amount: 300n, currency: 'EUR' });
    expect(reused).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION, errorInfo: { reason: 'IDEMPOTENCY_KEY_REUSED' } });
    // and b still decides on the true balance.
    expect((await resultOf(deposit(b, accountId, randomUUID(), 1n))).response.result).toMatchObject({ revision: 3n, balance: 1501n });
    expect((await eventsOf(api.esdb, accountId)).map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited', 'MoneyDeposited', 'MoneyDeposited']);
  });

  test('events carry the metadata and a deterministic id', async () => {
    const accountId = await openAccount();
    const commandId = randomUUID();
    const correlation = new (await import('@grpc/grpc-js')).Metadata();
    correlation.set('x-correlation-id', 'corr-123');
    await a.call(AccountCommands.method.deposit, { commandId, accountId, amount: 3n, currency: 'EUR' }, { metadata: correlation });
    const [, deposited] = await eventsOf(api.esdb, accountId);
    expect(deposited?.metadata).toMatchObject({
      command_id: commandId,
      correlation_id: 'corr-123',
      causation_id: commandId,
      schema_version: 1,
    });
    const occurredAt = (deposited?.metadata as { occurred_at: string }).occurred_at;
    expect(new Date(occurredAt).toISOString()).toBe(occurredAt);
    const { eventIdFor } = await import('../../src/eventstore/event-ids.js');
    expect(deposited?.id).toBe(eventIdFor(`account-${accountId}`, commandId, 0, (deposited?.metadata as { command_fingerprint?: string }).command_fingerprint));
  });
});
