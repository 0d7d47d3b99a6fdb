import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { startFerretDb, type EmbeddedMongo } from '../../src/embedded/index.js';
import { AccountProjectionWriter } from '../../src/readmodels/account-projection-writer.js';
import { MongoReadModelStore } from '../../src/readmodels/mongo-read-model-store.js';
import { DEFAULT_TARGETS, ensureReadModel } from '../../src/readmodels/read-model-schema.js';
import type { AccountStreamReader } from '../../src/readmodels/read-model-store.js';
import { ACCOUNT, deposited, foldSummary, opened, recorded, withdrawn } from './given-account-events.js';

const history = recorded(opened('EUR', 'owner-m'), deposited(9_007_199_254_740_993n), withdrawn(3n), deposited(10n));
const noStream: AccountStreamReader = {
  readAccount: async () => {
    throw new Error('no gap expected in this test');
  },
};

let mongo: EmbeddedMongo;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  mongo = await startFerretDb();
  client = await MongoClient.connect(mongo.url);
  db = client.db('readmodels_int');
});
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

describe('MongoReadModelStore on a Mongo-wire server', () => {
  test('processes starting together all register the projections (the loser of a concurrent insert does not fail)', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => MongoClient.connect(mongo.url)));
    try {
      for (let round = 0; round < 3; round++) {
        const fresh = `readmodels_race_${round}`;
        await Promise.all(clients.map((c) => ensureReadModel(c.db(fresh))));
        expect((await ensureReadModel(db.client.db(fresh)).then((r) => r.list())).map((p) => p.name)).toEqual(['account_summaries', 'account_transactions']);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('ensureReadModel is idempotent and creates the documented indexes and registry entries', async () => {
    await ensureReadModel(db);
    const registry = await ensureReadModel(db);
    const summaryIndexes = (await db.collection('account_summaries').indexes()).map((i) => i.key);
    const txIndexes = (await db.collection('account_transactions').indexes()).map((i) => i.key);
    expect(summaryIndexes).toContainEqual({ owner_id: 1, _id: 1 });
    expect(txIndexes).toContainEqual({ account_id: 1, occurred_at: 1, revision: 1 });
    expect(await registry.getActiveCollection('account_summaries')).toBe('account_summaries');
    expect((await registry.list()).map((p) => p.name)).toEqual(['account_summaries', 'account_transactions']);
  });

  test('a batch lands as the fold, money as Int64 (exact past 2^53), redelivery changes nothing', async () => {
    const store = new MongoReadModelStore(db);
    const writer = new AccountProjectionWriter(store, noStream);
    await writer.project(DEFAULT_TARGETS, history);
    await writer.project(DEFAULT_TARGETS, history.slice(1));
    const stored = await db.collection('account_summaries').findOne({ _id: ACCOUNT } as never, { useBigInt64: true });
    expect(stored).toEqual(foldSummary(history));
    const raw = await db.collection('account_summaries').findOne({ _id: ACCOUNT } as never, { promoteLongs: false });
    expect(raw?.['balance']?._bsontype).toBe('Long');
    const txs = await db.collection('account_transactions').find({ account_id: ACCOUNT }, { useBigInt64: true }).sort({ revision: 1 }).toArray();
    expect(txs.map((t) => t['balance_after'])).toEqual([9_007_199_254_740_993n, 9_007_199_254_740_990n, 9_007_199_254_741_000n]);
    expect(store.bulkWrites).toBe(2);
  });

  test('a summary guard that does not match is reported as a conflict, not written', async () => {
    const store = new MongoReadModelStore(db);
    const current = foldSummary(history)!;
    const stale = { ...current, balance: 1n, revision: current.revision + 1n };
    const r = await store.writeBatch(DEFAULT_TARGETS, { transactions: [], summaries: [{ next: stale, expectedRevision: current.revision - 1n }] });
    expect(r.conflicts).toEqual([ACCOUNT]);
    const dup = await store.writeBatch(DEFAULT_TARGETS, { transactions: [], summaries: [{ next: stale, expectedRevision: undefined }] });
    expect(dup.conflicts).toEqual([ACCOUNT]);
    expect((await store.loadSummaries(DEFAULT_TARGETS, [ACCOUNT])).get(ACCOUNT)).toEqual(current);
  });

  test('holds are stored once per account and released', async () => {
    const store = new MongoReadModelStore(db);
    await store.putHold({ accountId: 'a-1', revision: 4n, eventId: 'e-4', reason: 'bad' });
    await store.putHold({ accountId: 'a-1', revision: 9n, eventId: 'e-9', reason: 'later' });
    expect((await store.loadHolds(['a-1', 'a-2'])).get('a-1')).toEqual({ accountId: 'a-1', revision: 4n, eventId: 'e-4', reason: 'bad' });
    expect(await store.countHolds()).toBe(1);
    await store.releaseHold('a-1');
    expect(await store.countHolds()).toBe(0);
  });

  test('the registry swaps the active collection', async () => {
    const registry = await ensureReadModel(db);
    await registry.setActiveCollection('account_summaries', 'account_summaries_r2');
    expect(await registry.getActiveCollection('account_summaries')).toBe('account_summaries_r2');
    await registry.setActiveCollection('account_summaries', 'account_summaries');
    await expect(registry.setActiveCollection('nope', 'x')).rejects.toThrow(/not registered/);
  });
});
