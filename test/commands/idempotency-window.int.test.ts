import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler, loadAccount, type AccountEventStore, type CommandEnvelope, type HandledCommand } from '../../src/app/index.js';
import type { AccountSnapshots } from '../../src/app/account-snapshot.js';
import { IdempotencyKeyReused } from '../../src/app/errors.js';
import { accountStream, type AccountCommand } from '../../src/domain/index.js';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { eventsOf } from './stream-reading.js';

/**
 * The command window (command-window.ts) through the real client and the
 * embedded event store: an account keeps the outcomes of its last K
 * commands only, and a retry older than that is found in the stream,
 * answered as its first call was, with nothing appended.
 */
const K = 3;
let esdb: EsdbServer;
let conn: EventStoreConnection;
let store: EsdbAccountEventStore;
beforeAll(async () => {
  esdb = await startEsdbServer({ port: 0, memory: true });
  conn = connectEventStore(esdb.connectionString);
  store = new EsdbAccountEventStore(conn.client);
});
afterAll(async () => {
  await conn?.close();
  await esdb?.stop();
});

/** The store, counting reads from the start of a stream (a full load, or a lookup of an older command). */
function countingFullReads(inner: AccountEventStore) {
  const counted = { fullReads: 0 };
  const wrapped: AccountEventStore = {
    readStream: async (stream, from) => {
      if (from === 0n) counted.fullReads += 1;
      return inner.readStream(stream, from);
    },
    readEvents: (stream, from) => {
      if (from === 0n) counted.fullReads += 1;
      return inner.readEvents(stream, from);
    },
    appendToStream: (stream, events, expected) => inner.appendToStream(stream, events, expected),
  };
  return { store: wrapped, counted };
}

const handlerOn = (on: AccountEventStore, snapshots?: AccountSnapshots) =>
  new CommandHandler({ store: on, maxRetries: 3, commandWindow: K, maxBatch: K, ...(snapshots ? { snapshots } : {}) });
const deposit = (accountId: string, amount: bigint): AccountCommand => ({ type: 'Deposit', data: { accountId, amount, currency: 'EUR' } });
const as = (command: AccountCommand, commandId = randomUUID()): CommandEnvelope => ({ command, commandId });
const answerOf = (h: HandledCommand) => ({ revision: h.revision, position: h.position, balance: h.balance });

/** Given an account whose first deposit (under `firstId`) is K+5 commands behind. */
async function givenAccountPastItsWindow() {
  const accountId = randomUUID();
  const handler = handlerOn(store);
  await handler.handle(as({ type: 'OpenAccount', data: { accountId, ownerId: 'o', currency: 'EUR' } }));
  const firstId = randomUUID();
  const first = await handler.handle(as(deposit(accountId, 40n), firstId));
  for (let i = 0; i < K + 5; i++) await handler.handle(as(deposit(accountId, 1n)));
  return { accountId, handler, firstId, first, events: (await eventsOf(conn, accountId)).length };
}

describe('a retry older than the account\'s command window', () => {
  test('warm: answers as the first call did, from one lookup in the stream, and appends nothing', async () => {
    const { accountId, handler, firstId, first, events } = await givenAccountPastItsWindow();
    const again = await handler.handle(as(deposit(accountId, 40n), firstId));
    expect(again).toMatchObject({ ...answerOf(first), duplicate: true });
    expect(await eventsOf(conn, accountId)).toHaveLength(events);
  });

  test('cold (a restarted handler, full load): the load keeps K outcomes, the retry answers as the first call did and appends nothing', async () => {
    const { accountId, firstId, first, events } = await givenAccountPastItsWindow();
    const loaded = await loadAccount(store, accountId, undefined, undefined, K);
    expect(loaded.commands.size).toBe(K);
    expect(loaded.commands.mayBeOlder(firstId)).toBe(true);

    const { store: counting, counted } = countingFullReads(store);
    const restarted = handlerOn(counting);
    const again = await restarted.handle(as(deposit(accountId, 40n), firstId));
    expect(again).toMatchObject({ ...answerOf(first), duplicate: true });
    expect(counted.fullReads).toBe(2); // the load, then the lookup of the older command
    expect(await eventsOf(conn, accountId)).toHaveLength(events);

    // Found once, the command is listed again: its next retry costs no read.
    expect(await restarted.handle(as(deposit(accountId, 40n), firstId))).toMatchObject({ ...answerOf(first), duplicate: true });
    expect(counted.fullReads).toBe(2);
  });

  test('cold: another command under the old command_id is still refused, naming the original, and appends nothing', async () => {
    const { accountId, firstId, events } = await givenAccountPastItsWindow();
    const refused = await handlerOn(store).handle(as({ type: 'Withdraw', data: { accountId, amount: 5n, currency: 'EUR' } }, firstId)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IdempotencyKeyReused);
    expect(refused).toMatchObject({ details: { original_command_type: 'Deposit', command_type: 'Withdraw' } });
    expect(await eventsOf(conn, accountId)).toHaveLength(events);
  });
});

describe('a new command whose id the filter wrongly "maybe"s', () => {
  test('is looked up, not found, and executed once; its retry answers as it did', async () => {
    // Given an account loaded (as from a snapshot) with a filter that holds a never-used id,
    const { accountId, events } = await givenAccountPastItsWindow();
    const stranger = randomUUID();
    const loaded = await loadAccount(store, accountId, undefined, undefined, K);
    loaded.commands.older.add(stranger);
    expect(loaded.commands.mayBeOlder(stranger)).toBe(true);
    const snapshots: AccountSnapshots = {
      latest: async () => ({ loaded, openedAt: undefined, lastTxAt: undefined, closedAt: undefined }),
      atOrBefore: async () => undefined,
      save: async () => {},
    };
    const { store: counting, counted } = countingFullReads(store);
    const handler = handlerOn(counting, snapshots);

    // when a deposit comes under that id, and again,
    const executed = await handler.handle(as(deposit(accountId, 9n), stranger));
    const retried = await handler.handle(as(deposit(accountId, 9n), stranger));

    // then the stream was searched once, the deposit appended once, and the retry answers as it did.
    expect(counted.fullReads).toBe(1);
    expect(executed).toMatchObject({ revision: BigInt(events), balance: 40n + BigInt(K + 5) + 9n, duplicate: false });
    expect(retried).toMatchObject({ ...answerOf(executed), duplicate: true });
    const stored = await eventsOf(conn, accountId);
    expect(stored).toHaveLength(events + 1);
    expect(stored.filter((e) => (e.metadata as { command_id?: string }).command_id === stranger)).toHaveLength(1);
    expect(accountStream(accountId)).toBe(loaded.stream);
  });
});
