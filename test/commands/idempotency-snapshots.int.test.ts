import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler, type CommandEnvelope } from '../../src/app/index.js';
import { IdempotencyKeyReused } from '../../src/app/errors.js';
import { takeSnapshot } from '../../src/app/take-snapshot.js';
import { accountStream } from '../../src/domain/index.js';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbAccountSnapshots } from '../../src/eventstore/snapshot-account-store.js';

/**
 * Issue 12: an idempotency key keeps its command across a restart that loads
 * the account from a snapshot (the real snapshot store on the embedded event
 * store), whether the snapshot lists the command or only its filter holds it.
 */
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

const deposit = (accountId: string, amount: bigint, commandId = randomUUID()): CommandEnvelope =>
  ({ command: { type: 'Deposit', data: { accountId, amount, currency: 'EUR' } }, commandId });

describe.each([
  ['the snapshot lists the command', 100],
  ['only the snapshot\'s command-id filter holds it', 2],
])('after a restart from a snapshot (%s)', (_name, commandWindow) => {
  test('a Withdraw under a Deposit\'s command_id is refused and appends nothing; the Deposit again answers as first', async () => {
    // Given a Deposit under X, ten more deposits and a snapshot of the account,
    const snapshots = new EsdbAccountSnapshots(conn.client, { keep: 5, commandWindow });
    const accountId = randomUUID();
    const before = new CommandHandler({ store, maxRetries: 3 });
    await before.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId: 'o', currency: 'EUR' } }, commandId: randomUUID() });
    const commandId = randomUUID();
    const original = await before.handle(deposit(accountId, 70n, commandId));
    for (let i = 0; i < 10; i++) await before.handle(deposit(accountId, 1n));
    expect(await takeSnapshot(store, snapshots, accountId)).toBe('taken');
    expect((await snapshots.latest(accountId))?.loaded.commands.has(commandId)).toBe(commandWindow > 10);

    // when a restarted handler, loading from snapshots, gets a Withdraw under X,
    const restarted = new CommandHandler({ store, maxRetries: 3, snapshots });
    const refused = await restarted.handle({ command: { type: 'Withdraw', data: { accountId, amount: 5n, currency: 'EUR' } }, commandId }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // then it is refused naming the Deposit, nothing is appended, and the Deposit itself is still a retry.
    expect(refused).toBeInstanceOf(IdempotencyKeyReused);
    expect(refused).toMatchObject({ details: { original_command_type: 'Deposit', command_type: 'Withdraw' } });
    expect(await store.readStream(accountStream(accountId), 0n)).toHaveLength(12);
    expect(await new CommandHandler({ store, maxRetries: 3, snapshots }).handle(deposit(accountId, 70n, commandId)))
      .toMatchObject({ revision: original.revision, balance: original.balance, duplicate: true });
  });
});
