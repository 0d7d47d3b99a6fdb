import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { startRedis, type EmbeddedRedis } from '../../src/embedded/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { EsdbAccountSnapshots } from '../../src/eventstore/snapshot-account-store.js';
import { SnapshotStore } from '../../src/eventstore/snapshot-store.js';
import { AccountLogReader } from '../../src/eventstore/rebuild-source.js';
import { CommandHandler, getAccountAsOf, loadAccount, type AccountEventStore, type NewEvent } from '../../src/app/index.js';
import { snapshotPolicy, type AccountSnapshots } from '../../src/app/account-snapshot.js';
import { takeSnapshot } from '../../src/app/take-snapshot.js';
import { ACCOUNT_SNAPSHOT_SCHEMA_VERSION, encodeAccountSnapshot } from '../../src/app/account-snapshot-codec.js';
import { CommandWindow } from '../../src/app/command-window.js';
import { SnapshotJobs } from '../../src/jobs/snapshot-jobs.js';
import { SnapshotWorker } from '../../src/jobs/snapshot-worker.js';
import { EVENT_SCHEMA_VERSION, accountStream, type AccountEvent } from '../../src/domain/index.js';

const EVERY = 100;
let esdb: EsdbServer;
let redis: EmbeddedRedis;
let conn: EventStoreConnection;
let store: EsdbAccountEventStore;
let snapshots: EsdbAccountSnapshots;

/** Counts what a load reads: events from account streams and snapshots returned. */
function counting(inner: AccountEventStore, snaps: AccountSnapshots) {
  const counts = { events: 0, snapshots: 0 };
  const countedStore: AccountEventStore = {
    readStream: async (s, from) => {
      const events = await inner.readStream(s, from);
      counts.events += events.length;
      return events;
    },
    readEvents: async function* (s, from) {
      for await (const stored of inner.readEvents(s, from)) {
        counts.events += 1;
        yield stored;
      }
    },
    appendToStream: (s, e, r) => inner.appendToStream(s, e, r),
  };
  const countedSnaps: AccountSnapshots = {
    latest: async (id) => { const s = await snaps.latest(id); if (s) counts.snapshots++; return s; },
    atOrBefore: async (id, p) => { const s = await snaps.atOrBefore(id, p); if (s) counts.snapshots++; return s; },
    save: (s) => snaps.save(s),
  };
  return { counts, store: countedStore, snapshots: countedSnaps };
}

/** Appends an opening then `deposits` deposits of 1..n straight to the stream, in big batches. */
async function seedAccount(accountId: string, deposits: number): Promise<void> {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const meta = (i: number) => ({
    occurredAt: new Date(t0 + i * 1000).toISOString(),
    commandId: randomUUID(),
    correlationId: 'seed',
    causationId: 'seed',
    schemaVersion: EVENT_SCHEMA_VERSION,
  });
  const all: NewEvent[] = [{ event: { type: 'AccountOpened', data: { accountId, ownerId: 'owner-1', currency: 'EUR' } }, metadata: meta(0) }];
  for (let i = 1; i <= deposits; i++) {
    const event: AccountEvent = { type: 'MoneyDeposited', data: { amount: BigInt(i) } };
    all.push({ event, metadata: meta(i) });
  }
  let revision = -1n;
  for (let i = 0; i < all.length; i += 1000) {
    const batch = all.slice(i, i + 1000);
    revision = (await store.appendToStream(accountStream(accountId), batch, revision)).revision;
  }
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [esdb, redis] = await Promise.all([startEsdbServer({ port: 0, memory: true }), startRedis()]);
  conn = connectEventStore(esdb.connectionString);
  store = new EsdbAccountEventStore(conn.client);
  snapshots = new EsdbAccountSnapshots(conn.client, { keep: 5, commandWindow: EVERY });
});

afterAll(async () => {
  await conn?.close();
  await Promise.all([esdb?.stop(), redis?.stop()]);
});

describe('snapshots every N events', () => {
  test('the sweep snapshots a stream whose enqueue was missed', async () => {
    const accountId = randomUUID();
    await seedAccount(accountId, 249); // 250 events, written past the command side
    const worker = await SnapshotWorker.start({
      redisUrl: redis.url, every: EVERY, sweepEveryMs: 300, log: new AccountLogReader(conn.client),
      takeSnapshot: (id) => takeSnapshot(store, snapshots, id),
    });
    try {
      const revision = await until(async () => (await snapshots.latest(accountId))?.loaded.revision, 90_000);
      expect(revision).toBe(249n);
    } finally {
      await worker.close();
    }
  }, 120_000);

  test('a 10,000-event account loads reading at most N+1 events, and commands that cross a multiple of N enqueue the next snapshot', async () => {
    const accountId = randomUUID();
    await seedAccount(accountId, 9_999); // revisions 0..9999
    const worker = await SnapshotWorker.start({
      redisUrl: redis.url, every: EVERY, sweepEveryMs: 0, log: new AccountLogReader(conn.client),
      takeSnapshot: (id) => takeSnapshot(store, snapshots, id),
    });
    const jobs = new SnapshotJobs({ redisUrl: redis.url, every: EVERY });
    try {
      // The seed bypassed the command side: ask for the snapshot as the policy would have.
      jobs.request(accountId, 9_999n);
      jobs.request(accountId, 9_999n);
      await jobs.drain();
      const first = await until(async () => (await snapshots.latest(accountId))?.loaded.revision === 9_999n ? true : undefined, 120_000);
      expect(first).toBe(true);

      // Given a handler with the snapshot policy, when 150 deposits land (crossing 10,100 events)...
      const handler = new CommandHandler({ store, maxRetries: 3, snapshots, afterAppend: snapshotPolicy(jobs, EVERY) });
      for (let i = 0; i < 150; i++) {
        await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 1n, currency: 'EUR' } }, commandId: randomUUID() });
      }
      await jobs.drain();
      // ...then a snapshot at or past revision 10,099 appears.
      const second = await until(async () => {
        const s = await snapshots.latest(accountId);
        return s && s.loaded.revision >= 10_099n ? s.loaded.revision : undefined;
      }, 60_000);
      expect(second).toBeGreaterThanOrEqual(10_099n);

      const c = counting(store, snapshots);
      const loaded = await loadAccount(c.store, accountId, undefined, c.snapshots);
      expect(loaded.revision).toBe(10_149n);
      expect(c.counts.snapshots).toBe(1);
      expect(c.counts.events + c.counts.snapshots).toBeLessThanOrEqual(EVERY + 1);

      const full = await loadAccount(store, accountId);
      expect(loaded.state).toEqual(full.state);
      expect(loaded.position).toBe(full.position);
      expect(loaded.lastOccurredAt).toBe(full.lastOccurredAt);
    } finally {
      await jobs.close();
      await worker.close();
    }
  }, 240_000);


  test('state and as-of answers are the same with and without snapshots', async () => {
    const accountId = randomUUID();
    await seedAccount(accountId, 349);
    await takeSnapshot(store, snapshots, accountId); // at 349
    const late: NewEvent[] = [{ event: { type: 'MoneyWithdrawn', data: { amount: 7n } }, metadata: { occurredAt: '2026-01-01T01:00:00.000Z', commandId: randomUUID(), correlationId: 'x', causationId: 'x', schemaVersion: EVENT_SCHEMA_VERSION } }];
    await store.appendToStream(accountStream(accountId), late, 349n);
    await takeSnapshot(store, snapshots, accountId); // at 350

    const withSnap = await loadAccount(store, accountId, undefined, snapshots);
    const without = await loadAccount(store, accountId);
    expect(withSnap.state).toEqual(without.state);
    expect(withSnap.revision).toBe(without.revision);
    expect(withSnap.state.status !== 'none' && withSnap.state.balance).toBe((349n * 350n) / 2n - 7n);

    const points = [{ revision: 10n }, { revision: 349n }, { revision: 350n }, { timestamp: new Date('2026-01-01T00:02:00.500Z') }, { timestamp: new Date('2026-01-01T02:00:00Z') }];
    for (const asOf of points) {
      const c = counting(store, snapshots);
      const a = await getAccountAsOf(c.store, accountId, asOf, c.snapshots);
      const b = await getAccountAsOf(store, accountId, asOf);
      expect(a).toEqual(b);
    }
    // The nearest snapshot before revision 349 is the one at 349: nothing else to read.
    const c = counting(store, snapshots);
    await getAccountAsOf(c.store, accountId, { revision: 349n }, c.snapshots);
    expect(c.counts.snapshots).toBe(1);
    expect(c.counts.events).toBeLessThanOrEqual(1);
  });

  test('a retry of a command older than the snapshot window, in a new process, appends nothing and answers as the first call', async () => {
    // Given an account whose snapshot (window 2) was taken after 12 commands,
    const window = 2;
    const narrow = new EsdbAccountSnapshots(conn.client, { keep: 5, commandWindow: window });
    const accountId = randomUUID();
    const first = new CommandHandler({ store, maxRetries: 3 });
    await first.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId: 'owner-old-retry', currency: 'EUR' } }, commandId: randomUUID() });
    const oldCommandId = randomUUID();
    const original = await first.handle({ command: { type: 'Deposit', data: { accountId, amount: 70n, currency: 'EUR' } }, commandId: oldCommandId });
    for (let i = 0; i < 10; i++) await first.handle({ command: { type: 'Deposit', data: { accountId, amount: 1n, currency: 'EUR' } }, commandId: randomUUID() });
    expect(await takeSnapshot(store, narrow, accountId)).toBe('taken');
    const snapshot = await narrow.latest(accountId);
    expect(snapshot?.loaded.commands.has(oldCommandId)).toBe(false);

    // when a new handler (no cache: a restarted API) loading from snapshots gets the old command again,
    const restarted = new CommandHandler({ store, maxRetries: 3, snapshots: narrow });
    const retry = await restarted.handle({ command: { type: 'Deposit', data: { accountId, amount: 70n, currency: 'EUR' } }, commandId: oldCommandId });

    // then it answers as the first call did and the stream holds no second deposit of it,
    expect(retry).toMatchObject({ revision: original.revision, position: original.position, balance: original.balance, duplicate: true });
    const stream = await store.readStream(accountStream(accountId), 0n);
    expect(stream.filter((e) => e.metadata?.commandId === oldCommandId)).toHaveLength(1);
    expect(stream).toHaveLength(12);
    // and a new command after it is still decided from the snapshot's state.
    const fresh = await restarted.handle({ command: { type: 'Deposit', data: { accountId, amount: 5n, currency: 'EUR' } }, commandId: randomUUID() });
    expect(fresh).toMatchObject({ revision: 12n, balance: 85n, duplicate: false });
  });

  test('a snapshot of an old schema version, or unreadable, is ignored', async () => {
    const accountId = randomUUID();
    await seedAccount(accountId, 249);
    const truth = await loadAccount(store, accountId);
    const raw = new SnapshotStore(conn.client, 5);
    // A lying snapshot at the head: right shape, wrong balance, older schema version.
    const lie = { status: 'open' as const, balance: 999_999n, accountId, ownerId: 'x', currency: 'EUR', txCount: 1, reversed: new Set<string>(), inFlightOut: 0n };
    const forged = encodeAccountSnapshot({ loaded: { ...truth, state: lie, commands: new CommandWindow() }, openedAt: undefined, lastTxAt: undefined, closedAt: undefined }, EVERY);
    await raw.write(accountId, { state: forged, revision: truth.revision, schemaVersion: ACCOUNT_SNAPSHOT_SCHEMA_VERSION - 1, occurredAt: truth.lastOccurredAt });
    // An unreadable one of the current version.
    await raw.write(accountId, { state: { nonsense: true }, revision: truth.revision, schemaVersion: ACCOUNT_SNAPSHOT_SCHEMA_VERSION, occurredAt: truth.lastOccurredAt });

    const c = counting(store, snapshots);
    const loaded = await loadAccount(c.store, accountId, undefined, c.snapshots);
    expect(c.counts.snapshots).toBe(0);
    expect(c.counts.events).toBe(250);
    expect(loaded.state).toEqual(truth.state);

    // The same forged snapshot under the current version would have been used: the check is what protects us.
    await raw.write(accountId, { state: forged, revision: truth.revision, schemaVersion: ACCOUNT_SNAPSHOT_SCHEMA_VERSION, occurredAt: truth.lastOccurredAt });
    const fooled = await loadAccount(store, accountId, undefined, snapshots);
    expect(fooled.state.status !== 'none' && fooled.state.balance).toBe(999_999n);
  });
});
