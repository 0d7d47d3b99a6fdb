import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CommandHandler, Transfers, transferIdFor } from '../../src/app/index.js';
import { loadConfig } from '../../src/config.js';
import type { AccountCommand } from '../../src/domain/index.js';
import { startRedis, type EmbeddedRedis } from '../../src/embedded/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import { RebuildState } from '../../src/grpc/gen/ledger/v1/admin_pb.js';
import { MongoTransferDocuments } from '../../src/readmodels/mongo-transfer-documents.js';
import { AccountReadQueries } from '../../src/readmodels/account-read-queries.js';
import { ProjectionRegistry } from '../../src/readmodels/projection-registry.js';
import { transferAccountIndexCollection } from '../../src/readmodels/transfer-account-index.js';
import { TRANSFERS_PROJECTION, transferDocumentOf, type TransferDocument } from '../../src/readmodels/transfer-documents.js';
import { startJobs, type RunningJobs } from '../../workers/jobs.js';
import { startTransferProcess, transferProcessSettings, type RunningTransferProcess } from '../../workers/transfer-process.js';
import { ReadModelFixture, quietLogger } from '../projector/read-model-fixture.js';

const TOKEN = 'test-admin-token-0123456789';
let fx: ReadModelFixture;
let redis: EmbeddedRedis;
let worker: RunningTransferProcess;
let jobs: RunningJobs;
let admin: AdminClient;
let handler: CommandHandler;
let transfers: Transfers;
let streams: EsdbTransferEventStore;
const accounts: string[] = [];

beforeAll(async () => {
  [fx, redis] = await Promise.all([ReadModelFixture.start(), startRedis()]);
  const config = loadConfig({ MONGO_DB: fx.db.databaseName, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', REBUILD_BATCH_SIZE: '20', REBUILD_GRACE_MS: '500', REBUILD_SETTLE_MS: '2500', SNAPSHOT_SWEEP_MS: '0', JOBS_LOCK_MS: '5000' });
  worker = await startTransferProcess(config, fx.esdbServer.connectionString, quietLogger, { ...transferProcessSettings(config), group: `transfers-${randomUUID()}` }, fx.db);
  jobs = await startJobs({ config, esdbUrl: fx.esdbServer.connectionString, mongoUrl: fx.mongoUrl, redisUrl: redis.url, logger: quietLogger });
  admin = new AdminClient(`127.0.0.1:${jobs.admin.port}`, TOKEN);
  handler = new CommandHandler({ store: new EsdbAccountEventStore(fx.esdb), maxRetries: 50 });
  streams = new EsdbTransferEventStore(fx.esdb);
  transfers = new Transfers(handler, streams);
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  for (let i = 0; i < 6; i++) {
    const accountId = randomUUID();
    accounts.push(accountId);
    await run({ type: 'OpenAccount', data: { accountId, ownerId: 'o', currency: 'EUR' } });
    await run({ type: 'Deposit', data: { accountId, amount: 100_000n, currency: 'EUR' } });
  }
}, 120_000);

afterAll(async () => {
  admin?.close();
  await jobs?.stop();
  await worker?.stop();
  await redis?.stop();
  await fx?.stop();
});

/** One transfer to `to` (a missing account fails it), driven to its outcome. */
async function transfer(n: number, to: string): Promise<string> {
  const from = accounts[n % accounts.length]!;
  const commandId = randomUUID();
  const transferId = transferIdFor(from, commandId);
  await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: from, transferId, toAccountId: to, amount: BigInt(1 + n), currency: 'EUR' } }, commandId });
  await transfers.getTransfer(transferId, Date.now() + 20_000);
  return transferId;
}

const active = () => new ProjectionRegistry(fx.db).getActiveCollection(TRANSFERS_PROJECTION);
const foldOf = async (transferId: string) => transferDocumentOf(await streams.read(transferId));

/** Waits until the active collection holds every transfer's fold (the live writer is asynchronous). */
async function expectActiveEqualsFold(transferIds: readonly string[]): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const collection = await active();
    const docs = await new MongoTransferDocuments(fx.db, collection).getMany(transferIds);
    const mismatched: string[] = [];
    for (const id of transferIds) if (JSON.stringify(docs.get(id), bigints) !== JSON.stringify(await foldOf(id), bigints)) mismatched.push(id);
    if (mismatched.length === 0) return collection;
    if (Date.now() > deadline) expect(docs.get(mismatched[0]!), `transfer ${mismatched[0]} in ${collection}`).toEqual(await foldOf(mismatched[0]!));
    await new Promise((r) => setTimeout(r, 100));
  }
}
const bigints = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

async function waitFor(id: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const r = (await admin.getRebuild(id)).rebuild;
    if (r && [RebuildState.COMPLETED, RebuildState.CANCELLED, RebuildState.FAILED].includes(r.state)) return r;
    if (Date.now() > deadline) throw new Error(`rebuild ${id} not finished in time`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

test('an operator rebuild of transfers (issue 15): a fresh collection equal to the fold of every transfer stream, swapped in while transfers go on', async () => {
  expect((await admin.listProjections()).projections.map((p) => p.name)).toContain(TRANSFERS_PROJECTION);
  const ids: string[] = [];
  for (let n = 0; n < 12; n++) ids.push(await transfer(n, n % 4 === 3 ? randomUUID() : accounts[(n + 1) % accounts.length]!));
  const before = await expectActiveEqualsFold(ids);
  // Damage the live collection: a lost document and one moved back to pending. A rebuild repairs both.
  const live = fx.db.collection<TransferDocument>(before);
  await live.deleteOne({ _id: ids[0]! });
  await live.updateOne({ _id: ids[1]! }, { $set: { status: 'pending', finished_at: null } });
  // And the account index: one account's list of days lost (its transfers unlisted).
  await fx.db.collection<{ _id: string }>(transferAccountIndexCollection(before)).deleteOne({ _id: accounts[0]! });

  let transferring = true;
  const during = (async () => {
    for (let n = 100; transferring; n++) ids.push(await transfer(n, accounts[(n + 2) % accounts.length]!));
  })();
  const started = (await admin.startRebuild(TRANSFERS_PROJECTION)).rebuild!;
  expect(started.targetCollection).not.toBe(before);
  let readsDuring = 0;
  for (;;) {
    // Readers are served throughout: the active collection always has the undamaged documents.
    const doc = await new MongoTransferDocuments(fx.db, await active()).get(ids[2]!);
    expect(doc).toEqual(await foldOf(ids[2]!));
    readsDuring++;
    const r = (await admin.getRebuild(started.id)).rebuild!;
    if (r.state === RebuildState.COMPLETED || r.state === RebuildState.FAILED) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  transferring = false;
  await during;
  const done = await waitFor(started.id);
  expect(done.state, done.error).toBe(RebuildState.COMPLETED);
  expect(readsDuring).toBeGreaterThan(1);
  expect(await active()).toBe(started.targetCollection);
  // Every transfer, before, during and after the flip, as its stream folds; the damage is gone.
  expect(ids.length).toBeGreaterThan(12);
  expect(await expectActiveEqualsFold(ids)).toBe(started.targetCollection);
  expect((await new MongoTransferDocuments(fx.db, started.targetCollection).get(ids[1]!))?.status).not.toBe('pending');
  // ListTransfers lists every account's transfers from the rebuilt account index, newest first.
  const queries = new AccountReadQueries(fx.db, new ProjectionRegistry(fx.db));
  const folds = (await Promise.all(ids.map(foldOf))).filter((d): d is TransferDocument => d !== undefined);
  const newestFirst = (a: TransferDocument, b: TransferDocument) => b.requested_at.getTime() - a.requested_at.getTime() || (a._id < b._id ? 1 : -1);
  for (const accountId of accounts) {
    const page = await queries.listTransfers(accountId, 'both', 500, undefined);
    const expected = folds.filter((d) => (d.from_account_id === accountId || d.to_account_id === accountId)).sort(newestFirst);
    expect(expected.length).toBeGreaterThan(0);
    expect(page.items.map((d) => d._id), accountId).toEqual(expected.map((d) => d._id));
  }
  // The replaced collection and its account index are dropped after the grace period.
  const names = async () => (await fx.db.listCollections().toArray()).map((c) => c.name);
  const replaced = [before, transferAccountIndexCollection(before)];
  const deadline = Date.now() + 20_000;
  while ((await names()).some((n) => replaced.includes(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect((await names()).filter((n) => replaced.includes(n))).toEqual([]);
}, 240_000);
