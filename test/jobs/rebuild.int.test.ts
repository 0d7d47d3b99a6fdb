import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { status } from '@grpc/grpc-js';
import { START, persistentSubscriptionToAllSettingsFromDefaults, streamNameFilter } from '@eventstore/db-client';
import pino from 'pino';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { startFerretDb, startRedis, type EmbeddedMongo, type EmbeddedRedis } from '../../src/embedded/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { AccountLogReader } from '../../src/eventstore/rebuild-source.js';
import { loadConfig } from '../../src/config.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import { RebuildState } from '../../src/grpc/gen/ledger/v1/admin_pb.js';
import { foldAccount } from '../../src/readmodels/account-fold.js';
import { toRecordedAccountEvent } from '../../src/readmodels/recorded-account-event.js';
import type { AccountSummaryDocument } from '../../src/readmodels/account-documents.js';
import { ProjectionRegistry } from '../../src/readmodels/projection-registry.js';
import { EVENT_SCHEMA_VERSION, accountStream } from '../../src/domain/index.js';
import type { NewEvent } from '../../src/app/index.js';
import { startJobs, type RunningJobs } from '../../workers/jobs.js';

const TOKEN = 'test-admin-token-0123456789';
let esdb: EsdbServer;
let redis: EmbeddedRedis;
let ferret: EmbeddedMongo;
let conn: EventStoreConnection;
let mongo: MongoClient;
let db: Db;
let jobs: RunningJobs;
let admin: AdminClient;
const accounts: string[] = [];
const revisions = new Map<string, bigint>();
const store = () => new EsdbAccountEventStore(conn.client);

const meta = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 't', causationId: 't', schemaVersion: EVENT_SCHEMA_VERSION });

async function deposit(accountId: string, amount: bigint): Promise<void> {
  const events: NewEvent[] = [{ event: { type: 'MoneyDeposited', data: { amount } }, metadata: meta() }];
  const r = await store().appendToStream(accountStream(accountId), events, revisions.get(accountId) ?? -1n);
  revisions.set(accountId, r.revision);
}

/** The summary the projection's fold gives for the stream up to `upTo` (all of it when undefined). */
async function foldOfStream(accountId: string, upTo?: bigint): Promise<AccountSummaryDocument | undefined> {
  const stored = await new AccountLogReader(conn.client).readAccount(accountId, 0n, upTo);
  return foldAccount(undefined, -1n, stored.map(toRecordedAccountEvent)).summary;
}

/** The event ids of an account's stream, in order. */
async function collectStream(accountId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of conn.client.readStream(accountStream(accountId))) ids.push(e.event!.id);
  return ids;
}

async function activeSummaries(): Promise<string> {
  return new ProjectionRegistry(db).getActiveCollection('account_summaries');
}

async function waitFor(id: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = (await admin.getRebuild(id)).rebuild;
    if (r && [RebuildState.COMPLETED, RebuildState.CANCELLED, RebuildState.FAILED].includes(r.state)) return r;
    if (Date.now() > deadline) throw new Error(`rebuild ${id} not finished in time`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

beforeAll(async () => {
  [esdb, redis, ferret] = await Promise.all([startEsdbServer({ port: 0, memory: true }), startRedis(), startFerretDb()]);
  conn = connectEventStore(esdb.connectionString);
  mongo = await MongoClient.connect(ferret.url, { useBigInt64: true });
  db = mongo.db('ledger');
  for (let i = 0; i < 30; i++) {
    const accountId = randomUUID();
    accounts.push(accountId);
    const events: NewEvent[] = [{ event: { type: 'AccountOpened', data: { accountId, ownerId: `owner-${i % 3}`, currency: 'EUR' } }, metadata: meta() }];
    for (let k = 1; k <= 20; k++) events.push({ event: { type: 'MoneyDeposited', data: { amount: BigInt(k) } }, metadata: meta() });
    const r = await store().appendToStream(accountStream(accountId), events, -1n);
    revisions.set(accountId, r.revision);
  }
  const config = loadConfig({ MONGO_DB: 'ledger', ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', REBUILD_BATCH_SIZE: '50', REBUILD_GRACE_MS: '500', REBUILD_SETTLE_MS: '1500', SNAPSHOT_SWEEP_MS: '0', JOBS_LOCK_MS: '5000' });
  jobs = await startJobs({ config, esdbUrl: esdb.connectionString, mongoUrl: ferret.url, redisUrl: redis.url, logger: pino({ level: 'silent' }) });
  admin = new AdminClient(`127.0.0.1:${jobs.admin.port}`, TOKEN);
}, 120_000);

afterAll(async () => {
  admin?.close();
  await jobs?.stop();
  await mongo?.close();
  await conn?.close();
  await Promise.all([esdb?.stop(), redis?.stop(), ferret?.stop()]);
});

describe('projection rebuilds', () => {
  test('Admin calls without the token, or with a wrong one, are refused with UNAUTHENTICATED', async () => {
    for (const token of [undefined, 'wrong-token-wrong-token']) {
      const client = new AdminClient(`127.0.0.1:${jobs.admin.port}`, token);
      await expect(client.listProjections()).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      await expect(client.startRebuild('account_summaries')).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
      client.close();
    }
    const listed = await admin.listProjections();
    expect(listed.projections.map((p) => p.name)).toContain('account_summaries');
  });

  test('a rebuild while commands keep arriving: readers always get whole accounts, and the new collection equals the fold of the store', async () => {
    // A first rebuild fills the read model that readers use during the second.
    const first = (await admin.startRebuild('account_summaries')).rebuild!;
    expect((await waitFor(first.id, 90_000)).state).toBe(RebuildState.COMPLETED);
    expect(await activeSummaries()).toBe(first.targetCollection);

    let writing = true;
    let second: Awaited<ReturnType<AdminClient['startRebuild']>>['rebuild'];
    const writer = (async () => {
      let n = 0;
      // A steady trickle of commands, slower than the rebuild reads (else it could never reach the head),
      // until readers move to the new collection: what lands after the flip is the rebuild's gap to close
      // (there is no live projector here), well inside its settle window.
      while (writing) {
        await deposit(accounts[n++ % accounts.length]!, 5n);
        if (second !== undefined && (await activeSummaries()) === second.targetCollection) break;
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    second = (await admin.startRebuild('account_summaries')).rebuild!;
    // One rebuild per projection: a second start while it runs is refused with the running id.
    await expect(admin.startRebuild('account_summaries')).rejects.toMatchObject({ code: status.ALREADY_EXISTS, details: expect.stringContaining(second.id) });

    let checks = 0;
    for (;;) {
      const r = (await admin.getRebuild(second.id)).rebuild!;
      const coll = await activeSummaries();
      for (const id of accounts.slice(0, 10)) {
        const doc = await db.collection<AccountSummaryDocument>(coll).findOne({ _id: id });
        expect(doc, `account ${id} missing from ${coll}`).not.toBeNull();
        // Whole, never partial: the document is exactly the fold of its stream up to its revision.
        expect(doc).toEqual(await foldOfStream(id, doc!.revision));
        checks++;
      }
      if (r.state === RebuildState.COMPLETED || r.state === RebuildState.FAILED) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    writing = false;
    await writer;
    expect(checks).toBeGreaterThan(10);
    const done = await waitFor(second.id, 60_000);
    expect(done.state).toBe(RebuildState.COMPLETED);
    expect(await activeSummaries()).toBe(second.targetCollection);

    // The rebuilt collection, as it stands, equals the fold of the whole store for every account: the
    // writes during the rebuild and those after the flip (closed by the rebuild itself) are all in it.
    for (const id of accounts) {
      const doc = await db.collection<AccountSummaryDocument>(second.targetCollection).findOne({ _id: id });
      expect(doc, `account ${id}`).toEqual(await foldOfStream(id));
    }
    // The replaced collection is dropped after the grace period.
    const names = async () => (await db.listCollections().toArray()).map((c) => c.name);
    const deadline = Date.now() + 20_000;
    while ((await names()).includes(first.targetCollection) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await names()).not.toContain(first.targetCollection);
  }, 300_000);

  test('ReplayParked sends a group\'s parked events back to its consumers, and names an unknown group NOT_FOUND', async () => {
    const group = `replay-${randomUUID().slice(0, 8)}`;
    const client = conn.client;
    await client.createPersistentSubscriptionToAll(group, persistentSubscriptionToAllSettingsFromDefaults({ startFrom: START }), {
      filter: streamNameFilter({ prefixes: [accountStream(accounts[0]!)] }),
    });
    const parkedId = new Promise<string>((resolve) => {
      const seen = new Set<string>();
      const sub = client.subscribeToPersistentSubscriptionToAll(group);
      sub.on('data', (e) => {
        const id = e.event!.id;
        if (seen.has(id)) {
          // The replayed event comes back: done.
          void sub.ack(e).then(() => sub.unsubscribe()).then(() => resolve(id));
          return;
        }
        seen.add(id);
        // Park the account's first event, ack the rest.
        void (e.event!.revision === 0n ? sub.nack('park', 'test', e) : sub.ack(e));
      });
    });
    const parkedCount = async () => (await client.getPersistentSubscriptionToAllInfo(group)).stats.parkedMessageCount;
    const deadline = Date.now() + 20_000;
    while ((await parkedCount()) < 1n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await parkedCount()).toBe(1n);

    expect((await admin.replayParked(group)).replayed).toBe(1n);
    const first = (await collectStream(accounts[0]!))[0]!;
    expect(await parkedId).toBe(first);
    await expect(admin.replayParked(`no-such-${group}`)).rejects.toMatchObject({ code: status.NOT_FOUND });
  }, 60_000);

  test('a cancelled rebuild leaves readers on their collection and drops what it built', async () => {
    const before = await activeSummaries();
    const started = (await admin.startRebuild('account_summaries')).rebuild!;
    const cancelled = await admin.cancelRebuild(started.id);
    expect(cancelled.rebuild?.id).toBe(started.id);
    const done = await waitFor(started.id, 60_000);
    expect(done.state).toBe(RebuildState.CANCELLED);
    expect(await activeSummaries()).toBe(before);
    const names = (await db.listCollections().toArray()).map((c) => c.name);
    expect(names).not.toContain(started.targetCollection);
    // Finished: the projection takes a new rebuild again.
    const next = (await admin.startRebuild('account_summaries')).rebuild!;
    expect(next.id).not.toBe(started.id);
    await admin.cancelRebuild(next.id);
    expect((await waitFor(next.id, 60_000)).state).toBe(RebuildState.CANCELLED);
  }, 120_000);
});
