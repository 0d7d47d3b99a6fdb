import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, type CommandEnvelope, type HandledCommand } from '../../src/app/index.js';
import { IdempotencyKeyReused } from '../../src/app/errors.js';
import { commandIdentity } from '../../src/app/command-fingerprint.js';
import { decodeAccountSnapshot, encodeAccountSnapshot } from '../../src/app/account-snapshot-codec.js';
import { loadAccount } from '../../src/app/load-account.js';
import { EVENT_SCHEMA_VERSION, accountStream, type AccountCommand } from '../../src/domain/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

/**
 * Issue 12: a command_id belongs to the first command sent with it. The same
 * command again is a retry (the first answer); a different command under it
 * is refused with IDEMPOTENCY_KEY_REUSED naming the original type, and
 * nothing is appended.
 */
const accountId = randomUUID();
const open: AccountCommand = { type: 'OpenAccount', data: { accountId, ownerId: 'o', currency: 'EUR' } };
const deposit = (amount: bigint): AccountCommand => ({ type: 'Deposit', data: { accountId, amount, currency: 'EUR' } });
const withdraw = (amount: bigint): AccountCommand => ({ type: 'Withdraw', data: { accountId, amount, currency: 'EUR' } });
const as = (command: AccountCommand, commandId = randomUUID()): CommandEnvelope => ({ command, commandId });

async function givenDeposit(store = new InMemoryEventStore()) {
  const handler = new CommandHandler({ store, maxRetries: 5 });
  await handler.handle(as(open));
  const commandId = randomUUID();
  const first = await handler.handle(as(deposit(1500n), commandId));
  return { store, handler, commandId, first };
}

const eventsIn = (store: InMemoryEventStore) => store.streams.get(accountStream(accountId))?.length ?? 0;

async function refusal(p: Promise<HandledCommand>): Promise<IdempotencyKeyReused> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(IdempotencyKeyReused);
  return e as IdempotencyKeyReused;
}

describe('an idempotency key reused for another command', () => {
  test('a Withdraw under a Deposit\'s command_id is refused, naming the Deposit, and appends nothing', async () => {
    const { store, handler, commandId } = await givenDeposit();
    const before = eventsIn(store);
    const e = await refusal(handler.handle(as(withdraw(5n), commandId)));
    expect(e.kind).toBe('precondition');
    expect(e.reason).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(e.details).toEqual({ command_id: commandId, original_command_type: 'Deposit', command_type: 'Withdraw' });
    expect(e.message).toContain('Deposit');
    expect(eventsIn(store)).toBe(before);
  });

  test('the same type with another amount is refused too', async () => {
    const { handler, commandId } = await givenDeposit();
    const e = await refusal(handler.handle(as(deposit(1501n), commandId)));
    expect(e.details.original_command_type).toBe('Deposit');
  });

  test('the same command again still answers the first result', async () => {
    const { handler, commandId, first } = await givenDeposit();
    expect(await handler.handle(as(deposit(1500n), commandId))).toEqual({ ...first, duplicate: true });
  });

  test('a process that never saw the first command (no cache) refuses it as well', async () => {
    const { store, commandId } = await givenDeposit();
    const restarted = new CommandHandler({ store, maxRetries: 5 });
    await refusal(restarted.handle(as(withdraw(5n), commandId)));
  });

  test('in a batch of commands queued together, the reuse is refused and the others land', async () => {
    const { store, handler, commandId } = await givenDeposit();
    const before = eventsIn(store);
    const answers = await Promise.allSettled([
      handler.handle(as(deposit(1n))),
      handler.handle(as(withdraw(5n), commandId)),
      handler.handle(as(deposit(2n))),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(answers[1]?.status === 'rejected' ? answers[1].reason : undefined).toBeInstanceOf(IdempotencyKeyReused);
    expect(eventsIn(store)).toBe(before + 2);
  });

  test('two different commands under one new command_id in one batch: the first lands, the second is refused', async () => {
    const { store, handler } = await givenDeposit();
    const commandId = randomUUID();
    const [a, b] = await Promise.allSettled([handler.handle(as(deposit(7n), commandId)), handler.handle(as(withdraw(7n), commandId))]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' ? b.reason : undefined).toBeInstanceOf(IdempotencyKeyReused);
    expect(store.streams.get(accountStream(accountId))?.filter((e) => e.metadata?.commandId === commandId)).toHaveLength(1);
  });

  test('events written before fingerprints existed still answer a retry as before', async () => {
    const store = new InMemoryEventStore();
    const commandId = randomUUID();
    const metadata = { occurredAt: new Date().toISOString(), commandId, correlationId: commandId, causationId: commandId, schemaVersion: EVENT_SCHEMA_VERSION };
    await store.appendToStream(accountStream(accountId), [{ event: { type: 'AccountOpened', data: open.data }, metadata }], -1n);
    const handler = new CommandHandler({ store, maxRetries: 5 });
    expect(await handler.handle(as(open, commandId))).toMatchObject({ revision: 0n, duplicate: true });
  });
});

describe('the fingerprint travels with the command id', () => {
  test('event metadata holds the command type and fingerprint', async () => {
    const { store, commandId } = await givenDeposit();
    const stored = store.streams.get(accountStream(accountId))?.find((e) => e.metadata?.commandId === commandId);
    const { commandType, fingerprint } = commandIdentity(deposit(1500n));
    expect(stored?.metadata).toMatchObject({ commandType, commandFingerprint: fingerprint });
  });

  test('a snapshot keeps each listed command\'s type and fingerprint, so a handler loading it refuses the reuse', async () => {
    const { store, commandId } = await givenDeposit();
    const loaded = await loadAccount(store, accountId);
    const json = encodeAccountSnapshot({ loaded, openedAt: undefined, lastTxAt: undefined, closedAt: undefined }, 100);
    const back = decodeAccountSnapshot(JSON.parse(JSON.stringify(json)), loaded.revision);
    expect(back?.loaded.commands.get(commandId)).toMatchObject({ commandType: 'Deposit', fingerprint: commandIdentity(deposit(1500n)).fingerprint });
    const fromSnapshot = new CommandHandler({
      store,
      maxRetries: 5,
      snapshots: { latest: async () => back, atOrBefore: async () => back, save: async () => {} },
    });
    await refusal(fromSnapshot.handle(as(withdraw(5n), commandId)));
  });

  test('a command older than the snapshot\'s window (only in its command-id filter) is found in the stream, and refused', async () => {
    const { store, commandId } = await givenDeposit();
    const loaded = await loadAccount(store, accountId);
    const back = decodeAccountSnapshot(encodeAccountSnapshot({ loaded, openedAt: undefined, lastTxAt: undefined, closedAt: undefined }, 0), loaded.revision);
    expect(back?.loaded.commands.has(commandId)).toBe(false);
    expect(back?.loaded.commands.mayBeOlder(commandId)).toBe(true);
    const fromSnapshot = new CommandHandler({
      store,
      maxRetries: 5,
      snapshots: { latest: async () => back, atOrBefore: async () => back, save: async () => {} },
    });
    const before = eventsIn(store);
    await refusal(fromSnapshot.handle(as(withdraw(5n), commandId)));
    expect(eventsIn(store)).toBe(before);
  });

  test('fingerprints differ by type and by every effect field, not by field boundaries', () => {
    const prints = [
      open,
      { ...open, data: { ...open.data, ownerId: 'p' } },
      { ...open, data: { ...open.data, currency: 'USD' } },
      deposit(1n),
      withdraw(1n),
      deposit(2n),
      { type: 'Deposit', data: { accountId, amount: 1n, currency: 'USD' } },
      { type: 'CloseAccount', data: { accountId } },
      { type: 'CloseAccount', data: { accountId, reason: 'x' } },
    ].map((c) => commandIdentity(c as AccountCommand).fingerprint);
    expect(new Set(prints).size).toBe(prints.length);
    expect(commandIdentity(deposit(1n))).toEqual(commandIdentity(deposit(1n)));
  });

  test('fingerprints are the ones stored in events before (a changed digest would refuse every older retry)', () => {
    const account = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
    expect(commandIdentity({ type: 'Deposit', data: { accountId: account, amount: 1500n, currency: 'EUR' } }).fingerprint).toBe('xNSJUn0O4Y9E6INYi6CZNX');
    const credit: AccountCommand = { type: 'CreditTransfer', data: { accountId: account, transferId: 'a5ecbab5-695a-52ed-be75-dfa3a60a3682', fromAccountId: '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b', amount: 200n, currency: 'EUR' } };
    expect(commandIdentity(credit).fingerprint).toBe('ffxMoGyWzMQxgz2SDfcglC');
    expect(commandIdentity({ type: 'CloseAccount', data: { accountId: 'ü', reason: 'ç€' } }).fingerprint).toBe('naWg_Wcr0V4O3i3ysQu76n');
  });
});
