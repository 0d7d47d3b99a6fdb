import type { Db } from 'mongodb';
import type { ProjectionTargets } from './read-model-store.js';
import { HOLDS_COLLECTION } from './mongo-read-model-store.js';
import { PROJECTIONS_COLLECTION, ProjectionRegistry } from './projection-registry.js';
import { AccountSummaryProjection } from './account-summary-projection.js';
import { AccountTransactionsProjection } from './account-transactions-projection.js';
import type { ReadStoreProfile } from './read-store-profile.js';
import { TRANSFERS_COLLECTION, TRANSFERS_PROJECTION } from './transfer-documents.js';

type SchemaOptions = Pick<ReadStoreProfile, 'guardIndex'>;
const NO_GUARD_INDEX: SchemaOptions = { guardIndex: false };

/** The collections a fresh deployment serves from (rebuilds register others). */
export const DEFAULT_TARGETS: ProjectionTargets = {
  summaries: AccountSummaryProjection.name,
  transactions: AccountTransactionsProjection.name,
};

/**
 * Creates a pair of read-model collections with their indexes; idempotent
 * (createIndex on an existing identical index is a no-op). Rebuilds call it
 * for their fresh collections too.
 */
export async function ensureProjectionCollections(db: Db, targets: ProjectionTargets, opts: SchemaOptions = NO_GUARD_INDEX): Promise<void> {
  // ListAccountsByOwner: equality on owner, keyset paging on _id.
  await db.collection(targets.summaries).createIndex({ owner_id: 1, _id: 1 }, { name: 'owner_id_1__id_1' });
  // The projector's guarded write filters on {_id, revision}; some servers
  // look an index up only by its exact fields (read-store-profile.ts).
  if (opts.guardIndex) await db.collection(targets.summaries).createIndex({ _id: 1, revision: 1 }, { name: '_id_1_revision_1', unique: true });
  // ListTransactions: one account, a time range, keyset paging on (occurred_at, revision).
  await db.collection(targets.transactions).createIndex({ account_id: 1, occurred_at: 1, revision: 1 }, { name: 'account_id_1_occurred_at_1_revision_1' });
}

/** Everything the projector and the queries need, created if missing. */
export async function ensureReadModel(db: Db, opts: SchemaOptions = NO_GUARD_INDEX): Promise<ProjectionRegistry> {
  const registry = new ProjectionRegistry(db);
  await db.collection(PROJECTIONS_COLLECTION).createIndex({ status: 1 }, { name: 'status_1' });
  await db.collection(HOLDS_COLLECTION).createIndex({ revision: 1 }, { name: 'revision_1' });
  await registry.ensure(AccountSummaryProjection.name, DEFAULT_TARGETS.summaries);
  await registry.ensure(AccountTransactionsProjection.name, DEFAULT_TARGETS.transactions);
  // Written by the transfer process (workers/transfer-documents.ts), rebuilt like the others (issue 15).
  await registry.ensure(TRANSFERS_PROJECTION, TRANSFERS_COLLECTION);
  const targets = {
    summaries: await registry.getActiveCollection(AccountSummaryProjection.name),
    transactions: await registry.getActiveCollection(AccountTransactionsProjection.name),
  };
  await ensureProjectionCollections(db, targets, opts);
  return registry;
}
