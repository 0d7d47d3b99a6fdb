import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, loadAccount, type CommandEnvelope } from '../../src/app/index.js';
import { CommandWindow } from '../../src/app/command-window.js';
import { IdempotencyKeyReused } from '../../src/app/errors.js';
import { accountStream, type AccountCommand } from '../../src/domain/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';
import { loadConfig } from '../../src/config.js';

const K = 3;
const outcome = (revision: bigint) => ({ revision, position: revision * 100n, balance: revision });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `command-${i}`);

describe('CommandWindow: the last K command outcomes, older ids in a filter', () => {
  test('given K+n commands, then the window lists the last K and the filter holds the n before them', () => {
    const window = new CommandWindow(K);
    const all = ids(K + 5);
    all.forEach((id, i) => window.record(id, outcome(BigInt(i))));
    expect(window.size).toBe(K);
    expect([...window.keys()]).toEqual(all.slice(-K));
    expect(all.slice(0, -K).every((id) => window.mayBeOlder(id))).toBe(true);
    // Listed ones are answered from the window, not looked up.
    expect(all.slice(-K).some((id) => window.mayBeOlder(id))).toBe(false);
    expect(window.get(all.at(-1)!)).toEqual(outcome(BigInt(K + 4)));
  });

  test('given a listed command, when a later event of it is recorded, then its outcome moves on and nothing leaves the window', () => {
    const window = new CommandWindow(K);
    ids(K).forEach((id, i) => window.record(id, outcome(BigInt(i))));
    window.record('command-0', outcome(9n));
    expect(window.size).toBe(K);
    expect(window.get('command-0')).toEqual(outcome(9n));
    expect(window.mayBeOlder('command-0')).toBe(false);
  });

  test('given a larger window (a snapshot\'s), when limited to K, then the oldest move into the filter', () => {
    const large = new CommandWindow(10);
    const all = ids(8);
    all.forEach((id, i) => large.record(id, outcome(BigInt(i))));
    const small = large.withLimit(K);
    expect([...small.keys()]).toEqual(all.slice(-K));
    expect(all.slice(0, -K).every((id) => small.mayBeOlder(id))).toBe(true);
    expect(large.size).toBe(8); // the source is left as it was
  });

  test('a window of no command is refused', () => {
    expect(() => new CommandWindow(0)).toThrow(RangeError);
  });
});

describe('a handler with a window of K commands per account', () => {
  const accountId = randomUUID();
  const open: AccountCommand = { type: 'OpenAccount', data: { accountId, ownerId: 'o', currency: 'EUR' } };
  const deposit = (amount: bigint): AccountCommand => ({ type: 'Deposit', data: { accountId, amount, currency: 'EUR' } });
  const as = (command: AccountCommand, commandId = randomUUID()): CommandEnvelope => ({ command, commandId });
  const eventsIn = (store: InMemoryEventStore) => store.streams.get(accountStream(accountId))?.length ?? 0;

  async function givenAccountPastItsWindow() {
    const store = new InMemoryEventStore();
    const handler = new CommandHandler({ store, maxRetries: 5, commandWindow: K, maxBatch: 1 });
    await handler.handle(as(open));
    const firstId = randomUUID();
    const first = await handler.handle(as(deposit(10n), firstId));
    for (let i = 0; i < K + 4; i++) await handler.handle(as(deposit(1n)));
    return { store, handler, firstId, first };
  }

  test('given K+n commands, when the account is loaded from the stream, then it lists K and its filter holds the rest', async () => {
    const { store, firstId } = await givenAccountPastItsWindow();
    const loaded = await loadAccount(store, accountId, undefined, undefined, K);
    expect(loaded.commands.size).toBe(K);
    expect(loaded.commands.mayBeOlder(firstId)).toBe(true);
    expect(loaded.revision).toBe(BigInt(eventsIn(store) - 1));
  });

  test('when its first deposit is retried, warm and after a restart, then it answers as the first call did and appends nothing', async () => {
    const { store, handler, firstId, first } = await givenAccountPastItsWindow();
    const before = eventsIn(store);
    const warm = await handler.handle(as(deposit(10n), firstId));
    const cold = await new CommandHandler({ store, maxRetries: 5, commandWindow: K, maxBatch: 1 }).handle(as(deposit(10n), firstId));
    for (const again of [warm, cold]) {
      expect(again).toMatchObject({ revision: first.revision, position: first.position, balance: first.balance, duplicate: true });
    }
    expect(first).toMatchObject({ revision: 1n, balance: 10n });
    expect(eventsIn(store)).toBe(before);
  });

  test('when its first command id comes with another command, then it is refused and appends nothing', async () => {
    const { store, handler, firstId } = await givenAccountPastItsWindow();
    const before = eventsIn(store);
    await expect(handler.handle(as(deposit(11n), firstId))).rejects.toBeInstanceOf(IdempotencyKeyReused);
    expect(eventsIn(store)).toBe(before);
  });

  test('given a stale cache, when a retry\'s first call landed through another handler and left the window during the catch-up, then it is still answered as a retry', async () => {
    const { store, handler } = await givenAccountPastItsWindow();
    // Another process handles X, then more than K other commands; this handler's cache is now behind.
    const other = new CommandHandler({ store, maxRetries: 5, commandWindow: K, maxBatch: 1 });
    const x = randomUUID();
    const first = await other.handle(as(deposit(7n), x));
    for (let i = 0; i < K + 2; i++) await other.handle(as(deposit(1n)));
    const before = eventsIn(store);
    const conflictsBefore = store.conflicts;
    // X again here: decided on the stale state, the append conflicts, the catch-up folds X and K+2 more (X leaves the window).
    const again = await handler.handle(as(deposit(7n), x));
    expect(store.conflicts).toBe(conflictsBefore + 1);
    expect(again).toMatchObject({ revision: first.revision, position: first.position, balance: first.balance, duplicate: true });
    expect(eventsIn(store)).toBe(before);
  });

  test('a window smaller than a batch is refused (a batch\'s answers are read from it)', () => {
    expect(() => new CommandHandler({ store: new InMemoryEventStore(), maxRetries: 1, commandWindow: 2, maxBatch: 3 })).toThrow(RangeError);
  });
});

describe('COMMAND_WINDOW (the setting the API passes as commandWindow)', () => {
  test('given nothing, then 1,000; given a number of at least a batch (100), then that number', () => {
    expect(loadConfig({}).COMMAND_WINDOW).toBe(1_000);
    expect(loadConfig({ COMMAND_WINDOW: '250' }).COMMAND_WINDOW).toBe(250);
  });

  test('given fewer than a batch, or not a whole number, then start is refused naming the variable', () => {
    for (const bad of ['99', '1.5', 'many']) expect(() => loadConfig({ COMMAND_WINDOW: bad })).toThrow(/COMMAND_WINDOW/);
  });
});
