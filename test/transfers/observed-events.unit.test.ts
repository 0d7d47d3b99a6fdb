import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { accountStream, type AccountCommand } from '../../src/domain/index.js';
import { InMemoryEventStore } from '../commands/in-memory-event-store.js';

/** Two writers on one store, as the API and the transfer process are; `process` is told of the other's events. */
function setup() {
  const store = new InMemoryEventStore();
  const api = new CommandHandler({ store, maxRetries: 10, random: () => 0 });
  const process = new CommandHandler({ store, maxRetries: 10, random: () => 0 });
  const accountId = randomUUID();
  const on = (handler: CommandHandler, command: AccountCommand, commandId = randomUUID()) => handler.handle({ command, commandId });
  const deposit = (amount: bigint) => ({ type: 'Deposit' as const, data: { accountId, amount, currency: 'EUR' } });
  const eventAt = (revision: number) => store.streams.get(accountStream(accountId))![revision]!;
  return { store, api, process, accountId, on, deposit, eventAt };
}

describe('CommandHandler.observe (issue 15: the transfer process follows the events its subscription delivers)', () => {
  test('the next event of a cached account moves its state on: the next command appends without a conflict', async () => {
    const t = setup();
    await t.on(t.process, { type: 'OpenAccount', data: { accountId: t.accountId, ownerId: 'o', currency: 'EUR' } });
    await t.on(t.api, t.deposit(100n)); // revision 1, unknown to `process`
    t.process.observe(t.accountId, t.eventAt(1));
    const conflicts = t.store.conflicts;
    const answer = await t.on(t.process, t.deposit(5n));
    expect(t.store.conflicts).toBe(conflicts);
    expect(answer).toMatchObject({ revision: 2n, balance: 105n, retries: 0 });
  });

  test('without it (or after a gap, which it ignores) the command conflicts, catches up and still answers right', async () => {
    const t = setup();
    await t.on(t.process, { type: 'OpenAccount', data: { accountId: t.accountId, ownerId: 'o', currency: 'EUR' } });
    await t.on(t.api, t.deposit(100n));
    await t.on(t.api, t.deposit(10n));
    t.process.observe(t.accountId, t.eventAt(2)); // revision 1 was never seen: ignored
    const conflicts = t.store.conflicts;
    const answer = await t.on(t.process, t.deposit(5n));
    expect(t.store.conflicts).toBe(conflicts + 1);
    expect(answer).toMatchObject({ revision: 3n, balance: 115n });
  });

  test('a command another writer already appended, observed, is answered as a duplicate without an append', async () => {
    const t = setup();
    await t.on(t.process, { type: 'OpenAccount', data: { accountId: t.accountId, ownerId: 'o', currency: 'EUR' } });
    const commandId = randomUUID();
    const first = await t.on(t.api, t.deposit(100n), commandId);
    t.process.observe(t.accountId, t.eventAt(1));
    const appends = t.store.appends;
    const again = await t.on(t.process, t.deposit(100n), commandId);
    expect(again).toMatchObject({ duplicate: true, revision: first.revision, balance: 100n });
    expect(t.store.appends).toBe(appends);
  });

  test("an account observed from its first event is known without a read: the next command appends at once", async () => {
    const t = setup();
    await t.on(t.api, { type: 'OpenAccount', data: { accountId: t.accountId, ownerId: 'o', currency: 'EUR' } });
    const commandId = randomUUID();
    await t.on(t.api, t.deposit(100n), commandId);
    t.process.observe(t.accountId, t.eventAt(0));
    t.process.observe(t.accountId, t.eventAt(1));
    const { reads, conflicts } = t.store;
    expect(await t.on(t.process, t.deposit(5n))).toMatchObject({ revision: 2n, balance: 105n, retries: 0 });
    expect(await t.on(t.process, t.deposit(100n), commandId)).toMatchObject({ duplicate: true, revision: 1n, balance: 100n });
    expect([t.store.reads, t.store.conflicts]).toEqual([reads, conflicts]);
  });

  test('a later event of an account not cached is ignored: the next command loads the account', async () => {
    const t = setup();
    await t.on(t.api, { type: 'OpenAccount', data: { accountId: t.accountId, ownerId: 'o', currency: 'EUR' } });
    await t.on(t.api, t.deposit(100n));
    t.process.observe(t.accountId, t.eventAt(1)); // revision 0 never seen
    const reads = t.store.reads;
    expect(await t.on(t.process, t.deposit(5n))).toMatchObject({ revision: 2n, balance: 105n, retries: 0 });
    expect(t.store.reads).toBe(reads + 1);
  });
});
