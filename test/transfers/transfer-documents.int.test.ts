import { randomUUID } from 'node:crypto';
import { BACKWARDS, END } from '@eventstore/db-client';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CommandHandler, Transfers, transferIdFor } from '../../src/app/index.js';
import { loadConfig } from '../../src/config.js';
import type { AccountCommand } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import { MongoTransferDocuments } from '../../src/readmodels/mongo-transfer-documents.js';
import { AccountReadQueries } from '../../src/readmodels/account-read-queries.js';
import { ReadModelAvailability, ReadModelNotServing } from '../../src/readmodels/read-model-availability.js';
import { ReadModelUnavailable } from '../../src/readmodels/read-model-unavailable.js';
import { PROJECTIONS_COLLECTION, ProjectionRegistry } from '../../src/readmodels/projection-registry.js';
import { TRANSFERS_PROJECTION, transferDocumentOf } from '../../src/readmodels/transfer-documents.js';
import { startTransferProcess, transferProcessSettings, type RunningTransferProcess } from '../../workers/transfer-process.js';
import { ReadModelFixture } from '../projector/read-model-fixture.js';

let fx: ReadModelFixture;
let worker: RunningTransferProcess;
let handler: CommandHandler;
let transfers: Transfers;

beforeAll(async () => {
  fx = await ReadModelFixture.start();
  // Reports its status every 200 ms, so the lag test below need not wait 5 s.
  const config = loadConfig({ PROJECTOR_STATUS_INTERVAL_MS: '200' });
  worker = await startTransferProcess(config, fx.esdbServer.connectionString, pino({ level: 'silent' }), { ...transferProcessSettings(config), group: `transfers-${randomUUID()}` }, fx.db);
  handler = new CommandHandler({ store: new EsdbAccountEventStore(fx.esdb), maxRetries: 50 });
  transfers = new Transfers(handler, new EsdbTransferEventStore(fx.esdb));
});
afterAll(async () => {
  await worker?.stop();
  await fx?.stop();
});

test('the transfers collection (issue 15): one document per transfer with status, both accounts, amount, failure reason and times, a fold of its stream', async () => {
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const [a, b] = [randomUUID(), randomUUID()];
  for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 1_000n, currency: 'EUR' } });
  const send = async (to: string, amount: bigint) => {
    const commandId = randomUUID();
    const transferId = transferIdFor(a, commandId);
    await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: a, transferId, toAccountId: to, amount, currency: 'EUR' } }, commandId });
    return transfers.getTransfer(transferId, Date.now() + 20_000);
  };
  const completed = await send(b, 300n);
  const failed = await send(randomUUID(), 200n);
  const documents = new MongoTransferDocuments(fx.db);
  const settled = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const doc = await documents.get(id);
      if (doc !== undefined && doc.status !== 'pending') return doc;
      await new Promise((r) => setTimeout(r, 50));
    }
    return documents.get(id);
  };
  expect(await settled(completed.transferId)).toMatchObject({
    _id: completed.transferId, from_account_id: a, to_account_id: b, amount: 300n, currency: 'EUR', status: 'completed', failure_reason: null,
    requested_at: completed.requestedAt, finished_at: completed.finishedAt, revision: 1n,
  });
  const failedDoc = await settled(failed.transferId);
  expect(failedDoc).toMatchObject({ status: 'failed', amount: 200n, revision: 1n });
  expect(failedDoc?.failure_reason).toMatch(/^ACCOUNT_NOT_FOUND: /);
  // An older fold never overwrites a newer document.
  expect(await documents.write({ ...failedDoc!, status: 'pending', failure_reason: null, finished_at: null, revision: 0n })).toBe('stale');
  expect((await documents.get(failed.transferId))?.status).toBe('failed');
});

test('a read store that lost its data (the in-memory server restarted: registry entry and collection gone) gets the transfers already acked back, from the event store', async () => {
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const [a, b] = [randomUUID(), randomUUID()];
  for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 1_000n, currency: 'EUR' } });
  const ids: string[] = [];
  for (const amount of [10n, 20n, 30n]) {
    const commandId = randomUUID();
    const transferId = transferIdFor(a, commandId);
    await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: a, transferId, toAccountId: b, amount, currency: 'EUR' } }, commandId });
    await transfers.getTransfer(transferId, Date.now() + 20_000);
    ids.push(transferId);
  }
  const streams = new EsdbTransferEventStore(fx.esdb);
  const documents = new MongoTransferDocuments(fx.db);
  const allEqualTheFold = async () => {
    for (const id of ids) if (JSON.stringify(await documents.get(id), big) !== JSON.stringify(transferDocumentOf(await streams.read(id)), big)) return false;
    return true;
  };
  const waitUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 300 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
    return check();
  };
  expect(await waitUntil(allEqualTheFold)).toBe(true);
  // Lost: every transfer above was acked by the documents' subscription group, so no delivery brings them back.
  await fx.db.collection(PROJECTIONS_COLLECTION).deleteOne({ _id: TRANSFERS_PROJECTION } as never);
  await fx.db.collection('transfers').drop();
  expect(await documents.get(ids[0]!)).toBeUndefined();
  // The projector registers the projections again as it refills the account documents.
  const registry = new ProjectionRegistry(fx.db);
  await registry.ensure(TRANSFERS_PROJECTION, 'transfers');
  // Meanwhile ListTransfers answers UNAVAILABLE (through the read model's gate), never a list missing transfers.
  const queries = new AccountReadQueries(fx.db, registry);
  const gate = new ReadModelAvailability('mongo');
  let unavailable = 0;
  for (let i = 0; i < 300; i++) {
    const page = await gate.serve(() => queries.listTransfers(a, 'outgoing', 10, undefined)).catch((err: unknown) => {
      if (!(err instanceof ReadModelNotServing)) throw err;
      unavailable += 1;
      return undefined;
    });
    if (page !== undefined) {
      expect(page.items.map((d) => d._id).sort()).toEqual([...ids].sort());
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(unavailable).toBeGreaterThan(0);
  expect(await waitUntil(allEqualTheFold)).toBe(true);
  expect((await registry.list()).find((p) => p.name === TRANSFERS_PROJECTION)?.status).toBe('running');
}, 60_000);

test('a transfers entry registered anew is not marked filled by a fill of the one before it (issue 15)', async () => {
  const registry = new ProjectionRegistry(fx.db);
  const name = `transfers-probe-${randomUUID()}`;
  await registry.ensure(name, 'c1');
  const first = await registry.registeredAt(name);
  await expect(registry.getFilledCollection(name)).rejects.toBeInstanceOf(ReadModelUnavailable);
  await fx.db.collection(PROJECTIONS_COLLECTION).deleteOne({ _id: name } as never);
  await new Promise((r) => setTimeout(r, 5)); // a later registered_at
  await registry.ensure(name, 'c1');
  expect(await registry.markFilled(name, first)).toBe(false);
  await expect(registry.getFilledCollection(name)).rejects.toBeInstanceOf(ReadModelUnavailable);
  // The reporter's writes leave it starting, lag included.
  await registry.updateStatus(name, 'running', { checkpointPosition: 5n, eventsBehind: 0n, timeBehindMs: 0, eventsPerSecond: 1, parkedCount: 0n, blockedAccounts: 0 }, { keepStarting: true });
  expect((await registry.list()).find((p) => p.name === name)).toMatchObject({ status: 'starting', lag: { checkpointPosition: 5n } });
  expect(await registry.markFilled(name, await registry.registeredAt(name))).toBe(true);
  expect(await registry.getFilledCollection(name)).toBe('c1');
  await fx.db.collection(PROJECTIONS_COLLECTION).deleteOne({ _id: name } as never);
});

test('the registry reports the transfers projection\'s status, checkpoint and lag, as the account projections\' (issue 15)', async () => {
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const [a, b] = [randomUUID(), randomUUID()];
  for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 100n, currency: 'EUR' } });
  const commandId = randomUUID();
  const transferId = transferIdFor(a, commandId);
  await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: a, transferId, toAccountId: b, amount: 40n, currency: 'EUR' } }, commandId });
  await transfers.getTransfer(transferId, Date.now() + 20_000);
  // The newest event of that transfer's stream: where the documents' checkpoint must get to.
  let outcomeAt: bigint | undefined;
  for await (const r of fx.esdb.readStream(`transfer-${transferId}`, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) outcomeAt = r.event?.position?.commit;
  expect(outcomeAt).toBeDefined();
  const registry = new ProjectionRegistry(fx.db);
  const entry = async () => (await registry.list()).find((p) => p.name === TRANSFERS_PROJECTION);
  let seen = await entry();
  for (let i = 0; i < 100 && !(seen?.lag?.checkpointPosition !== undefined && seen.lag.checkpointPosition !== null && seen.lag.checkpointPosition >= outcomeAt! && seen.lag.eventsBehind === 0n); i++) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await entry();
  }
  expect(seen?.status).toBe('running');
  expect(seen?.lag?.checkpointPosition).toBeGreaterThanOrEqual(outcomeAt!);
  expect(seen?.lag).toMatchObject({ eventsBehind: 0n, timeBehindMs: 0, parkedCount: 0n, blockedAccounts: 0 });
}, 30_000);

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);
