import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, DeadlineExceeded, getAccountAsOf, type CommandEnvelope } from '../../src/app/index.js';
import { InsufficientFunds, RevisionConflict, accountStream, type AccountCommand } from '../../src/domain/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

const account = randomUUID();
const open: AccountCommand = { type: 'OpenAccount', data: { accountId: account, ownerId: 'o', currency: 'EUR' } };
const deposit = (amount: bigint): AccountCommand => ({ type: 'Deposit', data: { accountId: account, amount, currency: 'EUR' } });
const withdraw = (amount: bigint): AccountCommand => ({ type: 'Withdraw', data: { accountId: account, amount, currency: 'EUR' } });
const envelope = (command: AccountCommand, extra: Partial<CommandEnvelope> = {}): CommandEnvelope => ({
  command,
  commandId: randomUUID(),
  ...extra,
});
const stream = () => accountStream(account);

function setup(clock?: () => Date) {
  const store = new InMemoryEventStore();
  const handler = new CommandHandler({ store, maxRetries: 50, random: () => 0, ...(clock ? { clock } : {}) });
  return { store, handler };
}

describe('command handler', () => {
  test('each command answers the revision, position and balance after its events', async () => {
    const { handler } = setup();
    expect(await handler.handle(envelope(open))).toMatchObject({ revision: 0n, balance: 0n, duplicate: false });
    expect(await handler.handle(envelope(deposit(100n)))).toMatchObject({ revision: 1n, balance: 100n });
    const w = await handler.handle(envelope(withdraw(30n)));
    expect(w).toMatchObject({ revision: 2n, balance: 70n });
    expect(w.position).toBeGreaterThan(0n);
  });

  test('a cached account is not read again for the next command', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    const readsAfterOpen = store.reads;
    for (let i = 0; i < 5; i++) await handler.handle(envelope(deposit(1n)));
    expect(store.reads).toBe(readsAfterOpen);
    expect(store.streams.get(stream())).toHaveLength(6);
  });

  test('the same command twice appends once and answers the same', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    const cmd = envelope(deposit(40n));
    const [a, b] = await Promise.all([handler.handle(cmd), handler.handle(cmd)]);
    expect({ ...b, duplicate: false }).toEqual(a);
    expect(store.streams.get(stream())).toHaveLength(2);
  });

  test('a retry after other commands landed answers the original result', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    const cmd = envelope(deposit(40n));
    const first = await handler.handle(cmd);
    await handler.handle(envelope(deposit(5n)));
    // A second process, with no cache, sees the retry too.
    const other = new CommandHandler({ store, maxRetries: 5 });
    const [again, elsewhere] = [await handler.handle(cmd), await other.handle(cmd)];
    for (const r of [again, elsewhere]) expect(r).toMatchObject({ revision: first.revision, position: first.position, balance: 40n, duplicate: true });
    expect(store.streams.get(stream())).toHaveLength(3);
  });

  test('two processes withdrawing concurrently never overdraw: conflicts re-decide', async () => {
    const { store, handler } = setup();
    const other = new CommandHandler({ store, maxRetries: 50, random: () => 0 });
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(100n)));
    await other.handle(envelope(deposit(1n))); // warms the second cache
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? handler : other).handle(envelope(withdraw(10n)))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof InsufficientFunds);
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(30);
    const events = store.streams.get(stream()) ?? [];
    expect(events.filter((e) => e.event?.type === 'MoneyWithdrawn')).toHaveLength(10);
    const balances = ok.map((r) => (r.status === 'fulfilled' ? r.value.balance : -1n));
    expect(balances.includes(1n)).toBe(true);
    expect(store.conflicts).toBeGreaterThan(0); // the conflict path really ran
  });

  test('a refusal based on a stale cache is checked against the store first', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await new CommandHandler({ store, maxRetries: 5 }).handle(envelope(deposit(50n)));
    expect(await handler.handle(envelope(withdraw(50n)))).toMatchObject({ balance: 0n, revision: 2n });
  });

  test('a pinned expected revision that does not match is a conflict reporting the actual revision', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(10n)));
    const err = await handler.handle(envelope(deposit(1n), { expectedRevision: 0n })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionConflict);
    expect(err).toMatchObject({ expectedRevision: 0n, actualRevision: 1n });
    expect(store.streams.get(stream())).toHaveLength(2);
    expect(await handler.handle(envelope(deposit(1n), { expectedRevision: 1n }))).toMatchObject({ revision: 2n });
  });

  test('a pinned revision made stale by another process is reported, not re-decided', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await new CommandHandler({ store, maxRetries: 5 }).handle(envelope(deposit(50n)));
    const err = await handler.handle(envelope(deposit(1n), { expectedRevision: 0n })).catch((e: unknown) => e);
    expect(err).toMatchObject({ actualRevision: 1n });
  });

  test('a command whose deadline has passed changes nothing', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await expect(handler.handle(envelope(deposit(1n), { deadline: Date.now() - 1 }))).rejects.toBeInstanceOf(DeadlineExceeded);
    expect(store.streams.get(stream())).toHaveLength(1);
  });

  test('occurred_at never goes backwards, and as-of reads the prefix up to a time', async () => {
    const times = ['2026-01-10T00:00:00.000Z', '2026-01-14T00:00:00.000Z', '2026-01-12T00:00:00.000Z', '2026-01-20T00:00:00.000Z'];
    let i = 0;
    const { store, handler } = setup(() => new Date(times[i++] ?? '2026-02-01T00:00:00.000Z'));
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(100n)));
    await handler.handle(envelope(withdraw(30n))); // clock went back: recorded at 01-14
    await handler.handle(envelope(deposit(5n)));
    const recorded = (store.streams.get(stream()) ?? []).map((e) => e.metadata?.occurredAt);
    expect(recorded[2]).toBe('2026-01-14T00:00:00.000Z');
    const jan15 = await getAccountAsOf(store, account, { timestamp: new Date('2026-01-15T00:00:00Z') });
    expect(jan15).toMatchObject({ revision: 2n, state: { balance: 70n } });
    expect(await getAccountAsOf(store, account, { revision: 1n })).toMatchObject({ state: { balance: 100n } });
    await expect(getAccountAsOf(store, account, { timestamp: new Date('2026-01-01T00:00:00Z') })).rejects.toMatchObject({
      reason: 'ACCOUNT_NOT_FOUND',
    });
    await expect(getAccountAsOf(store, account, { revision: 9n })).rejects.toMatchObject({ reason: 'REVISION_NOT_REACHED' });
  });
});

describe('commands that queue for one account go in one append', () => {
  test('concurrent deposits are batched, each answered with its own revision and balance', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    const appendsBefore = store.appends;
    const amounts = Array.from({ length: 30 }, (_, i) => BigInt(i + 1));
    const results = await Promise.all(amounts.map((a) => handler.handle(envelope(deposit(a)))));
    expect(store.appends - appendsBefore).toBeLessThan(amounts.length);
    expect(results.map((r) => r.revision)).toEqual(amounts.map((_, i) => BigInt(i + 1)));
    let balance = 0n;
    results.forEach((r, i) => {
      balance += amounts[i] ?? 0n;
      expect(r.balance).toBe(balance);
    });
    const stored = store.streams.get(stream()) ?? [];
    results.forEach((r) => expect(r.position).toBe(stored[Number(r.revision)]?.position));
  });

  test('a refused command in a batch changes nothing for the others', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(10n)));
    const [a, b, c] = await Promise.allSettled([
      handler.handle(envelope(withdraw(6n))),
      handler.handle(envelope(withdraw(6n))),
      handler.handle(envelope(deposit(1n))),
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { balance: 4n } });
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(InsufficientFunds);
    expect(c).toMatchObject({ status: 'fulfilled', value: { balance: 5n, revision: 3n } });
    expect((store.streams.get(stream()) ?? []).map((e) => e.event?.type)).toEqual(['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn', 'MoneyDeposited']);
  });

  test('a batch that loses to another writer is decided again, command by command', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(10n)));
    await new CommandHandler({ store, maxRetries: 5 }).handle(envelope(withdraw(10n))); // our cache still says 10
    const results = await Promise.allSettled([5n, 5n, 5n].map((a) => handler.handle(envelope(withdraw(a)))));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof InsufficientFunds)).toBe(true);
    expect(store.streams.get(stream())).toHaveLength(3);
  });
});

describe('store failures', () => {
  test('an append that fails fails only the commands being appended', async () => {
    const { store, handler } = setup();
    await handler.handle(envelope(open));
    await handler.handle(envelope(deposit(10n)));
    const repeated = envelope(deposit(10n));
    await handler.handle(repeated);
    const original = store.appendToStream.bind(store);
    let failing = true;
    store.appendToStream = async (s, events, rev) => {
      if (failing) throw new Error('store down');
      return original(s, events, rev);
    };
    const [dup, refused, appended] = await Promise.allSettled([
      handler.handle(repeated),
      handler.handle(envelope(withdraw(1_000n))),
      handler.handle(envelope(deposit(1n))),
    ]);
    expect(dup).toMatchObject({ status: 'fulfilled', value: { duplicate: true, balance: 20n } });
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(InsufficientFunds);
    expect(appended.status === 'rejected' && String(appended.reason)).toContain('store down');
    failing = false;
    expect(await handler.handle(envelope(deposit(1n)))).toMatchObject({ balance: 21n, revision: 3n });
  });
});
