import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountGapReader } from '../../src/eventstore/persistent-subscription-gap-reader.js';
import { AccountLogReader } from '../../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../../src/eventstore/rebuild-subscription-source.js';
import { MongoReadModelStore } from '../../src/readmodels/mongo-read-model-store.js';
import { ensureReadModel } from '../../src/readmodels/read-model-schema.js';
import { mongoRebuildCollections } from '../../src/readmodels/rebuild-collections.js';
import type { RebuildProgress } from '../../src/readmodels/rebuild-progress.js';
import { rebuildTargetFor } from '../../src/readmodels/rebuild-target.js';
import { runRebuild, type RebuildControl } from '../../src/readmodels/rebuild.js';
import { MONGO_WIRE_SERVERS } from '../support/mongo-wire.js';
import { ReadModelFixture, deposited, opened, withdrawn } from '../projector/read-model-fixture.js';

/** The job around the rebuild, in memory: BullMQ's part is tested in rebuild.int.test.ts. */
function control(): RebuildControl & { dropped: string[] } {
  let progress: RebuildProgress | undefined;
  const dropped: string[] = [];
  return {
    dropped,
    recorded: () => progress,
    record: async (p) => { progress = p; },
    cancelRequested: async () => false,
    scheduleDrop: async (c) => { dropped.push(c); },
  };
}

// FerretDB 1.24 froze a rebuild of about 800 accounts at 2.7% (issue 11): one
// page touched more accounts than one bulkWrite of filtered updates can hold.
describe.each(MONGO_WIRE_SERVERS)('a rebuild on %s', (mongo) => {
  let fx: ReadModelFixture;
  beforeAll(async () => {
    fx = await ReadModelFixture.start({ mongo });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  test('a page touching many accounts (2,000; 300 on FerretDB) is written whole, and the new collection equals the fold', async () => {
    const count = mongo === 'ferretdb' ? 300 : 2_000;
    const accounts = Array.from({ length: count }, () => randomUUID());
    for (let i = 0; i < count; i += 100) await Promise.all(accounts.slice(i, i + 100).map((id) => fx.append(id, [opened(id), deposited(100n), withdrawn(1n)])));
    // Interleave a second round so each page holds updates of accounts already written.
    for (let i = 0; i < count; i += 100) await Promise.all(accounts.slice(i, i + 100).map((id) => fx.append(id, [deposited(5n)])));
    const registry = await ensureReadModel(fx.db, fx.readStore);
    const store = new MongoReadModelStore(fx.db, fx.readStore);
    const target = rebuildTargetFor('account_summaries', `account_summaries_wide`, store, new AccountGapReader(fx.esdb), mongoRebuildCollections(fx.db, fx.readStore));
    const source = new AccountLogSubscription(fx.esdb, () => new AccountLogReader(fx.esdb).head());
    const job = control();
    try {
      const outcome = await runRebuild(source, target, {
        activeCollection: (p) => registry.getActiveCollection(p),
        setActiveCollection: (p, c) => registry.setActiveCollection(p, c),
      }, job, { projection: 'account_summaries', batchSize: count * 3, settleMs: 0 }); // page 1 inserts every account, page 2 updates every one
      expect(outcome.phase).toBe('completed');
      expect(outcome.progress.eventsDone).toBeGreaterThanOrEqual(count * 4);
    } finally {
      await source.close();
    }
    const rebuilt = fx.db.collection('account_summaries_wide');
    expect(await rebuilt.countDocuments({ _id: { $in: accounts as never[] }, revision: 3, balance: 104 })).toBe(count);
    for (const id of accounts.slice(0, 5)) {
      const expected = await fx.foldOfEventStore(id);
      expect(await rebuilt.findOne({ _id: id as never }, { useBigInt64: true })).toEqual(expected.summary);
    }
    expect(await registry.getActiveCollection('account_summaries')).toBe('account_summaries_wide');
    expect(job.dropped).toEqual(['account_summaries']);
  }, 240_000);
});
