import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { freePort, startFerretDb, startRedis, type EmbeddedMongo, type EmbeddedRedis } from '../../src/embedded/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { AccountLogReader } from '../../src/eventstore/rebuild-source.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import { RebuildState, type Rebuild } from '../../src/grpc/gen/ledger/v1/admin_pb.js';
import { foldAccount } from '../../src/readmodels/account-fold.js';
import { toRecordedAccountEvent } from '../../src/readmodels/recorded-account-event.js';
import type { AccountSummaryDocument } from '../../src/readmodels/account-documents.js';
import { EVENT_SCHEMA_VERSION, accountStream } from '../../src/domain/index.js';
import type { NewEvent } from '../../src/app/index.js';

const TOKEN = 'test-admin-token-0123456789';
const BATCH = 40;
const ACCOUNTS = 40;
const DEPOSITS = 60;
const TOTAL = ACCOUNTS * (DEPOSITS + 1);
let esdb: EsdbServer;
let redis: EmbeddedRedis;
let redisDir: string;
let ferret: EmbeddedMongo;
let conn: EventStoreConnection;
let mongo: MongoClient;
let db: Db;
let adminPort: number;
const accounts: string[] = [];

const meta = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 't', causationId: 't', schemaVersion: EVENT_SCHEMA_VERSION });

/** The jobs worker as its own process, as `tsx workers/jobs.ts` runs in production. */
function startJobsProcess(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'workers/jobs.ts'], {
    cwd: process.cwd(),
    stdio: 'ignore',
    env: {
      ...process.env,
      ESDB_URL: esdb.connectionString, MONGO_URL: ferret.url, REDIS_URL: redis.url, MONGO_DB: 'ledger',
      ADMIN_TOKEN: TOKEN, ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort),
      // Its own free metrics port: the default 9464 is taken while `npm start` runs (issue 11).
      METRICS_HOST: '127.0.0.1', METRICS_PORT: '0', REBUILD_BATCH_SIZE: String(BATCH), REBUILD_GRACE_MS: '1000',
      // A position recorded after every batch, so a kill or a Redis restart lands mid-rebuild.
      REBUILD_SETTLE_MS: '500', REBUILD_FLUSH_MS: '0', SNAPSHOT_SWEEP_MS: '0', JOBS_LOCK_MS: '3000', LOG_LEVEL: 'silent',
    },
  });
}

const stopped = (child: ChildProcess, signal: NodeJS.Signals) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });

async function poll(admin: AdminClient, id: string, until: (r: Rebuild) => boolean, ms: number): Promise<Rebuild> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await admin.getRebuild(id).then((x) => x.rebuild, () => undefined);
    if (r && until(r)) return r;
    if (Date.now() > deadline) throw new Error(`rebuild ${id}: condition not met in time (last: ${r?.state} ${r?.eventsDone})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function expectEqualsFold(collection: string): Promise<void> {
  const reader = new AccountLogReader(conn.client);
  for (const id of accounts) {
    const stored = await reader.readAccount(id, 0n, undefined);
    const expected = foldAccount(undefined, -1n, stored.map(toRecordedAccountEvent)).summary;
    expect(await db.collection<AccountSummaryDocument>(collection).findOne({ _id: id })).toEqual(expected);
  }
}

beforeAll(async () => {
  redisDir = mkdtempSync(join(tmpdir(), 'ledger-redis-keep-'));
  [esdb, redis, ferret] = await Promise.all([startEsdbServer({ port: 0, memory: true }), startRedis({ dataDir: redisDir }), startFerretDb()]);
  adminPort = await freePort();
  conn = connectEventStore(esdb.connectionString);
  mongo = await MongoClient.connect(ferret.url, { useBigInt64: true });
  db = mongo.db('ledger');
  const store = new EsdbAccountEventStore(conn.client);
  for (let i = 0; i < ACCOUNTS; i++) {
    const accountId = randomUUID();
    accounts.push(accountId);
    const events: NewEvent[] = [{ event: { type: 'AccountOpened', data: { accountId, ownerId: 'o', currency: 'EUR' } }, metadata: meta() }];
    for (let k = 1; k <= DEPOSITS; k++) events.push({ event: { type: 'MoneyDeposited', data: { amount: BigInt(k) } }, metadata: meta() });
    await store.appendToStream(accountStream(accountId), events, -1n);
  }
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await conn?.close();
  await Promise.all([esdb?.stop(), redis?.stop(), ferret?.stop()]);
  rmSync(redisDir, { recursive: true, force: true });
});

describe('a rebuild survives its worker and Redis', () => {
  test('the jobs worker killed with SIGKILL mid-rebuild, then restarted, resumes from its recorded position', async () => {
    let child = startJobsProcess();
    const admin = new AdminClient(`127.0.0.1:${adminPort}`, TOKEN);
    try {
      const started = await poll2(() => admin.startRebuild('account_summaries'), 60_000);
      const id = started.rebuild!.id;
      const before = await poll(admin, id, (r) => r.eventsDone >= BigInt(TOTAL / 4), 120_000);
      await stopped(child, 'SIGKILL');

      child = startJobsProcess();
      const seen: Rebuild[] = [];
      const done = await poll(admin, id, (r) => { seen.push(r); return r.state === RebuildState.COMPLETED || r.state === RebuildState.FAILED; }, 180_000);
      expect(done.state).toBe(RebuildState.COMPLETED);
      // Resumed, not restarted: the position never went back before what was recorded when it was killed,
      // and no more than the batch in flight was read twice.
      expect(seen.every((r) => r.position >= before.position)).toBe(true);
      expect(done.eventsDone).toBeGreaterThanOrEqual(BigInt(TOTAL));
      expect(done.eventsDone).toBeLessThan(BigInt(TOTAL + 2 * BATCH));
      await expectEqualsFold(done.targetCollection);
    } finally {
      admin.close();
      await stopped(child, 'SIGTERM');
    }
  }, 400_000);

  test('Redis restarted mid-rebuild: the rebuild goes on and finishes correctly', async () => {
    const child = startJobsProcess();
    const admin = new AdminClient(`127.0.0.1:${adminPort}`, TOKEN);
    try {
      const started = await poll2(() => admin.startRebuild('account_summaries'), 60_000);
      const id = started.rebuild!.id;
      const before = await poll(admin, id, (r) => r.eventsDone >= BigInt(TOTAL / 4), 120_000);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1000));
      redis = await startRedis({ dataDir: redisDir, port: redis.port });
      const done = await poll(admin, id, (r) => r.state === RebuildState.COMPLETED || r.state === RebuildState.FAILED, 180_000);
      expect(done.state).toBe(RebuildState.COMPLETED);
      expect(done.position).toBeGreaterThan(before.position);
      expect(done.eventsDone).toBeLessThan(BigInt(TOTAL + 2 * BATCH));
      await expectEqualsFold(done.targetCollection);
    } finally {
      admin.close();
      await stopped(child, 'SIGTERM');
    }
  }, 400_000);
});

/** Retries a call until the freshly started worker's Admin API answers. */
async function poll2<T>(call: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((res) => setTimeout(res, 250));
    }
  }
}
