import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, getAccountAsOf, type CommandEnvelope } from '../../src/app/index.js';
import {
  InsufficientFunds,
  TransactionAlreadyReversed,
  TransactionNotFound,
  accountStream,
  type AccountCommand,
} from '../../src/domain/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

const account = randomUUID();
const open: AccountCommand = { type: 'OpenAccount', data: { accountId: account, ownerId: 'o', currency: 'EUR' } };
const deposit = (amount: bigint): AccountCommand => ({ type: 'Deposit', data: { accountId: account, amount, currency: 'EUR' } });
const withdraw = (amount: bigint): AccountCommand => ({ type: 'Withdraw', data: { accountId: account, amount, currency: 'EUR' } });
const reverse = (transactionId: string, accountId = account): AccountCommand => ({
  type: 'ReverseTransaction',
  data: { accountId, transactionId, original: undefined, reason: 'mistake' },
});
const envelope = (command: AccountCommand): CommandEnvelope => ({ command, commandId: randomUUID() });

async function given(store: InMemoryEventStore, handler: CommandHandler, ...commands: AccountCommand[]): Promise<string[]> {
  for (const c of commands) await handler.handle(envelope(c));
  return (store.streams.get(accountStream(account)) ?? []).map((e) => e.eventId);
}

function setup() {
  const store = new InMemoryEventStore();
  return { store, handler: new CommandHandler({ store, maxRetries: 50, random: () => 0 }) };
}

describe('ReverseTransaction through the command handler', () => {
  test('given a deposit, when it is reversed by its event id, then DepositReversed names it and the balance drops', async () => {
    const { store, handler } = setup();
    const [, depositId] = await given(store, handler, open, deposit(300n));
    const answer = await handler.handle(envelope(reverse(depositId!)));
    expect(answer).toMatchObject({ revision: 2n, balance: 0n });
    const last = store.streams.get(accountStream(account))?.at(-1);
    expect(last?.event).toEqual({ type: 'DepositReversed', data: { transactionId: depositId, amount: 300n, reason: 'mistake' } });
  });

  test('an id that names the opening, or nothing, is TRANSACTION_NOT_FOUND and appends nothing', async () => {
    const { store, handler } = setup();
    const [openedId] = await given(store, handler, open, deposit(300n));
    await expect(handler.handle(envelope(reverse(openedId!)))).rejects.toBeInstanceOf(TransactionNotFound);
    await expect(handler.handle(envelope(reverse(randomUUID())))).rejects.toBeInstanceOf(TransactionNotFound);
    expect(store.streams.get(accountStream(account))).toHaveLength(2);
  });

  test("another account's deposit is not found in this account", async () => {
    const { store, handler } = setup();
    const [, depositId] = await given(store, handler, open, deposit(300n));
    const other = randomUUID();
    await handler.handle(envelope({ type: 'OpenAccount', data: { accountId: other, ownerId: 'o', currency: 'EUR' } }));
    await expect(handler.handle(envelope(reverse(depositId!, other)))).rejects.toBeInstanceOf(TransactionNotFound);
  });

  test('two reversals of one deposit from two processes: one lands, the other is ALREADY_REVERSED', async () => {
    const { store, handler } = setup();
    const [, depositId] = await given(store, handler, open, deposit(300n), deposit(300n));
    const other = new CommandHandler({ store, maxRetries: 50, random: () => 0 });
    const results = await Promise.allSettled([handler.handle(envelope(reverse(depositId!))), other.handle(envelope(reverse(depositId!)))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(TransactionAlreadyReversed);
    expect((await getAccountAsOf(store, account, { revision: 3n })).state.balance).toBe(300n);
  });

  test('a deposit reversal racing a withdrawal of the same money: never below zero', async () => {
    const { store, handler } = setup();
    const [, depositId] = await given(store, handler, open, deposit(300n));
    const other = new CommandHandler({ store, maxRetries: 50, random: () => 0 });
    const results = await Promise.allSettled([other.handle(envelope(withdraw(300n))), handler.handle(envelope(reverse(depositId!)))]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(InsufficientFunds);
    const state = (await getAccountAsOf(store, account, { revision: 2n })).state;
    expect(state.balance).toBe(0n);
  });

  test('the same reversal sent twice appends once and answers the same', async () => {
    const { store, handler } = setup();
    const [, depositId] = await given(store, handler, open, deposit(300n));
    const cmd = envelope(reverse(depositId!));
    const first = await handler.handle(cmd);
    const again = await new CommandHandler({ store, maxRetries: 5 }).handle(cmd);
    expect(again).toMatchObject({ revision: first.revision, balance: first.balance, duplicate: true });
    expect(store.streams.get(accountStream(account))).toHaveLength(3);
  });

  test('GetAccountAsOf folds reversals: the balance and tx_count before and after one', async () => {
    const { store, handler } = setup();
    const [, , withdrawalId] = await given(store, handler, open, deposit(500n), withdraw(200n));
    await handler.handle(envelope(reverse(withdrawalId!)));
    expect((await getAccountAsOf(store, account, { revision: 2n })).state).toMatchObject({ balance: 300n, txCount: 2 });
    const after = await getAccountAsOf(store, account, { revision: 3n });
    expect(after.state).toMatchObject({ balance: 500n, txCount: 3 });
    expect(after.lastTxAt).toEqual(after.updatedAt);
  });
});
