import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import type { Answer, LedgerClient } from './ledger-client.js';
import { eventsOf } from './stream-reading.js';

const MAX_MESSAGE_BYTES = 4096;
let api: ApiUnderTest;
let client: LedgerClient;
beforeAll(async () => {
  api = await startApiUnderTest({ maxMessageBytes: MAX_MESSAGE_BYTES });
  client = api.clients[0] as LedgerClient;
});
afterAll(async () => api?.stop());

type Given = 'no account' | 'open with 50 EUR' | 'closed';

async function accountIn(given: Given): Promise<string> {
  const accountId = randomUUID();
  if (given === 'no account') return accountId;
  const ok = (a: Answer<unknown>) => expect(a.ok).toBe(true);
  ok(await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' }));
  if (given === 'closed') ok(await client.call(AccountCommands.method.closeAccount, { commandId: randomUUID(), accountId }));
  else ok(await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 50n, currency: 'EUR' }));
  return accountId;
}

/** Protobuf wire encoding by hand, for values the generated code refuses to produce. */
const varint = (value: bigint): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
};
const stringField = (field: number, text: string): number[] => {
  const bytes = [...Buffer.from(text)];
  return [(field << 3) | 2, ...varint(BigInt(bytes.length)), ...bytes];
};
const rawDeposit = (accountId: string, amountVarint: number[]): Buffer =>
  Buffer.from([...stringField(1, randomUUID()), ...stringField(2, accountId), 3 << 3, ...amountVarint, ...stringField(4, 'EUR')]);

type Case = {
  name: string;
  given: Given;
  call: (accountId: string) => Promise<Answer<unknown>>;
  code: status;
  /** BadRequest field, or ErrorInfo reason. */
  field?: string;
  reason?: string;
};

const id = () => randomUUID();
const open = (req: { commandId?: string; accountId?: string; ownerId?: string; currency?: string }) =>
  client.call(AccountCommands.method.openAccount, req);
const deposit = (req: { commandId?: string; accountId?: string; amount?: bigint; currency?: string; expectedRevision?: bigint }) =>
  client.call(AccountCommands.method.deposit, req);
const withdraw = (req: { commandId?: string; accountId?: string; amount?: bigint; currency?: string }) =>
  client.call(AccountCommands.method.withdraw, req);

const cases: Case[] = [
  { name: 'open: command_id missing', given: 'no account', call: (a) => open({ accountId: a, ownerId: 'o', currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'command_id' },
  { name: 'open: command_id not a uuid', given: 'no account', call: (a) => open({ commandId: 'cmd-1', accountId: a, ownerId: 'o', currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'command_id' },
  { name: 'open: account_id missing', given: 'no account', call: () => open({ commandId: id(), ownerId: 'o', currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'account_id' },
  { name: 'open: account_id not a uuid', given: 'no account', call: () => open({ commandId: id(), accountId: 'acc-42', ownerId: 'o', currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'account_id' },
  { name: 'open: owner_id missing', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'owner_id' },
  { name: 'open: currency missing', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'o' }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'open: currency not ISO 4217', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'o', currency: 'euro' }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'open: currency XYZ (three letters, no ISO 4217 currency)', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'o', currency: 'XYZ' }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'open: currency ABC', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'o', currency: 'ABC' }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'deposit: currency XYZ', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n, currency: 'XYZ' }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'open: account exists', given: 'open with 50 EUR', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'o', currency: 'EUR' }), code: status.ALREADY_EXISTS, reason: 'ACCOUNT_ALREADY_EXISTS' },
  { name: 'deposit: amount 0', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: 0n, currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'amount' },
  { name: 'deposit: amount missing', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'amount' },
  { name: 'deposit: amount negative', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: -5n, currency: 'EUR' }), code: status.INVALID_ARGUMENT, field: 'amount' },
  { name: 'deposit: amount 2^63 (10-byte varint, beyond int64)', given: 'open with 50 EUR', call: (a) => client.callRaw(AccountCommands.method.deposit, rawDeposit(a, varint(2n ** 63n))), code: status.INVALID_ARGUMENT, field: 'amount' },
  { name: 'deposit: amount 2^64-1 (10-byte varint, beyond int64)', given: 'open with 50 EUR', call: (a) => client.callRaw(AccountCommands.method.deposit, rawDeposit(a, varint(2n ** 64n - 1n))), code: status.INVALID_ARGUMENT, field: 'amount' },
  { name: 'deposit: amount an 11-byte varint (does not decode)', given: 'open with 50 EUR', call: (a) => client.callRaw(AccountCommands.method.deposit, rawDeposit(a, [...Array(10).fill(0xff), 0x01])), code: status.INVALID_ARGUMENT, field: 'request' },
  { name: 'deposit: truncated message', given: 'open with 50 EUR', call: (a) => client.callRaw(AccountCommands.method.deposit, rawDeposit(a, varint(5n)).subarray(0, 20)), code: status.INVALID_ARGUMENT, field: 'request' },
  { name: 'deposit: currency missing', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n }), code: status.INVALID_ARGUMENT, field: 'currency' },
  { name: 'deposit: unknown account', given: 'no account', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n, currency: 'EUR' }), code: status.NOT_FOUND, reason: 'ACCOUNT_NOT_FOUND' },
  { name: 'deposit: closed account', given: 'closed', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n, currency: 'EUR' }), code: status.FAILED_PRECONDITION, reason: 'ACCOUNT_CLOSED' },
  { name: 'deposit: wrong currency', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n, currency: 'USD' }), code: status.FAILED_PRECONDITION, reason: 'CURRENCY_MISMATCH' },
  { name: 'deposit: pinned revision stale', given: 'open with 50 EUR', call: (a) => deposit({ commandId: id(), accountId: a, amount: 5n, currency: 'EUR', expectedRevision: 0n }), code: status.ABORTED, reason: 'REVISION_CONFLICT' },
  { name: 'withdraw: more than the balance', given: 'open with 50 EUR', call: (a) => withdraw({ commandId: id(), accountId: a, amount: 51n, currency: 'EUR' }), code: status.FAILED_PRECONDITION, reason: 'INSUFFICIENT_FUNDS' },
  { name: 'withdraw: closed account', given: 'closed', call: (a) => withdraw({ commandId: id(), accountId: a, amount: 1n, currency: 'EUR' }), code: status.FAILED_PRECONDITION, reason: 'ACCOUNT_CLOSED' },
  { name: 'close: balance not zero', given: 'open with 50 EUR', call: (a) => client.call(AccountCommands.method.closeAccount, { commandId: id(), accountId: a }), code: status.FAILED_PRECONDITION, reason: 'ACCOUNT_NOT_EMPTY' },
  { name: 'close: unknown account', given: 'no account', call: (a) => client.call(AccountCommands.method.closeAccount, { commandId: id(), accountId: a }), code: status.NOT_FOUND, reason: 'ACCOUNT_NOT_FOUND' },
  { name: 'open: oversized message', given: 'no account', call: (a) => open({ commandId: id(), accountId: a, ownerId: 'x'.repeat(MAX_MESSAGE_BYTES * 2), currency: 'EUR' }), code: status.RESOURCE_EXHAUSTED },
];

describe('bad input changes nothing and says why', () => {
  test.each(cases)('$name', async ({ given, call, code, field, reason }) => {
    const accountId = await accountIn(given);
    const before = await eventsOf(api.esdb, accountId);
    const answer = await call(accountId);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.code).toBe(code);
    if (field !== undefined) expect(answer.badRequest?.fieldViolations.map((v) => v.field)).toEqual([field]);
    if (reason !== undefined) expect(answer.errorInfo).toMatchObject({ reason, domain: 'ledger.v1' });
    expect(await eventsOf(api.esdb, accountId)).toEqual(before);
  });

  test('every bad field of one request is named at once', async () => {
    const answer = await deposit({ commandId: 'x', accountId: 'y', amount: -1n, currency: 'eu' });
    expect(answer.ok ? [] : answer.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['command_id', 'account_id', 'amount', 'currency']);
  });

  test('a stale pinned revision reports the actual revision', async () => {
    const accountId = await accountIn('open with 50 EUR');
    const answer = await deposit({ commandId: id(), accountId, amount: 5n, currency: 'EUR', expectedRevision: 7n });
    expect(answer.ok ? undefined : answer.errorInfo?.metadata).toEqual({ expected_revision: '7', actual_revision: '1' });
  });

  test('GetAccountAsOf without a point in time names as_of', async () => {
    const answer = await client.call(AccountQueries.method.getAccountAsOf, { accountId: randomUUID() });
    expect(answer).toMatchObject({ code: status.INVALID_ARGUMENT, badRequest: { fieldViolations: [{ field: 'as_of' }] } });
  });
});
