import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type Filter } from 'mongodb';
import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import type { AccountHold, ProjectionBatch, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { withDeadline } from './mongo-deadline.js';
import { readStoreProfile, type ReadStoreProfile } from './read-store-profile.js';
import { WrittenSummaries } from './written-summaries.js';

export const HOLDS_COLLECTION = 'projection_holds';

type HoldDocument = { _id: string; revision: bigint; event_id: string; reason: string };

const DUPLICATE_KEY = 11000;
/** Int64 fields come back as bigint, never as a lossy double. */
const readOptions = { useBigInt64: true } as const;

/**
 * ReadModelStore on MongoDB. A batch is one bulkWrite per collection (split
 * at the profile's maxBulkOps): transactions (insert-if-absent by event id),
 * then summaries guarded by the stored revision. No multi-document
 * transaction is needed: the summary's revision is the commit point, and
 * everything before it is idempotent. Every call has the profile's deadline.
 */
export class MongoReadModelStore implements ReadModelStore {
  bulkWrites = 0;
  /** What this store last wrote per account: the next batch plans from it instead of reading Mongo (see WrittenSummaries). */
  private readonly written = new WrittenSummaries();

  constructor(
    private readonly db: Db,
    private readonly profile: ReadStoreProfile = readStoreProfile('mongodb'),
  ) {}

  async loadSummaries(targets: ProjectionTargets, accountIds: readonly string[]): Promise<Map<string, AccountSummaryDocument>> {
    const found = new Map<string, AccountSummaryDocument>();
    const missing: string[] = [];
    for (const id of accountIds) {
      const known = this.written.get(targets.summaries, id);
      if (known === undefined) missing.push(id);
      else found.set(id, known);
    }
    for (const d of await this.findByIds<AccountSummaryDocument>(targets.summaries, missing)) found.set(d._id, d);
    return found;
  }

  async writeBatch(targets: ProjectionTargets, batch: ProjectionBatch): Promise<{ conflicts: readonly string[] }> {
    if (batch.transactions.length > 0) {
      // Plain inserts, a duplicate key meaning "already there": the document
      // for an event id never changes, so insert-if-absent is all it takes
      // (and it is an order of magnitude cheaper than upserts on FerretDB).
      const ops: AnyBulkWriteOperation<AccountTransactionDocument>[] = batch.transactions.map((tx) => ({ insertOne: { document: tx } }));
      await this.bulkWrite(targets.transactions, ops);
    }
    if (batch.summaries.length === 0) return { conflicts: [] };
    const ops: AnyBulkWriteOperation<AccountSummaryDocument>[] = batch.summaries.map(({ next, expectedRevision }) =>
      expectedRevision === undefined
        ? { insertOne: { document: next } }
        : // $set of every field rather than replaceOne: the same document (the
          // field set is fixed), and cheaper on FerretDB.
          { updateOne: { filter: { _id: next._id, revision: expectedRevision }, update: { $set: withoutId(next) } } },
    );
    const updates = batch.summaries.filter((s) => s.expectedRevision !== undefined).length;
    const written = await this.bulkWrite(targets.summaries, ops);
    let conflicts: string[];
    if (this.profile.atomicGuard && written.matched === updates && written.duplicates === 0) {
      // Every guard matched, atomically: nothing to read back.
      conflicts = [];
    } else {
      // Read back rather than trust the counts: a guard that missed (another
      // consumer moved the account), or a server whose guarded update is not
      // atomic (FerretDB on SQLite: two concurrent updates can both match).
      // Any account not at our revision is re-read and re-folded.
      const stored = new Map((await this.findByIds<AccountSummaryDocument>(targets.summaries, batch.summaries.map((s) => s.next._id))).map((d) => [d._id, d]));
      conflicts = batch.summaries
        .filter(({ next }) => (stored.get(next._id)?.revision ?? -1n) < next.revision)
        .map(({ next }) => next._id);
    }
    const conflicting = new Set(conflicts);
    for (const { next } of batch.summaries) {
      if (conflicting.has(next._id)) this.written.forget(targets.summaries, next._id);
      else this.written.remember(targets.summaries, next);
    }
    return { conflicts };
  }

  async loadHolds(accountIds: readonly string[]): Promise<Map<string, AccountHold>> {
    // Holds are rare: one count (collection metadata) saves a lookup of every account of the batch.
    const any = await this.deadline('count holds', () => this.db.collection(HOLDS_COLLECTION).estimatedDocumentCount());
    if (any === 0) return new Map();
    const docs = await this.findByIds<HoldDocument>(HOLDS_COLLECTION, accountIds);
    return new Map(docs.map((d) => [d._id, { accountId: d._id, revision: d.revision, eventId: d.event_id, reason: d.reason }]));
  }

  async putHold(hold: AccountHold): Promise<void> {
    await this.deadline('put hold', () => this.db.collection<HoldDocument>(HOLDS_COLLECTION).updateOne(
      { _id: hold.accountId },
      { $setOnInsert: { revision: hold.revision, event_id: hold.eventId, reason: hold.reason } },
      { upsert: true },
    ));
  }

  async releaseHold(accountId: string): Promise<void> {
    await this.deadline('release hold', () => this.db.collection<HoldDocument>(HOLDS_COLLECTION).deleteOne({ _id: accountId }));
  }

  async countHolds(): Promise<number> {
    return this.deadline('count holds', () => this.db.collection(HOLDS_COLLECTION).countDocuments());
  }

  /** The documents of these ids, read in $in lookups of at most maxBulkOps ids, each with the deadline. */
  private async findByIds<T extends { _id: string }>(collection: string, ids: readonly string[]): Promise<T[]> {
    const docs: T[] = [];
    for (const part of chunks(ids, this.profile.maxBulkOps)) {
      const found = await this.deadline(`find in ${collection}`, () =>
        this.db.collection<T>(collection).find({ _id: { $in: [...part] } } as Filter<T>, readOptions).toArray());
      docs.push(...(found as T[]));
    }
    return docs;
  }

  private deadline<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return withDeadline(operation, this.profile.opTimeoutMs, call);
  }

  /**
   * Runs unordered bulkWrites of at most maxBulkOps each; duplicate keys are
   * lost races, not failures. Returns the matched updates and the duplicates.
   */
  private async bulkWrite<T extends { _id: string }>(collection: string, ops: AnyBulkWriteOperation<T>[]): Promise<{ matched: number; duplicates: number }> {
    let matched = 0;
    let duplicates = 0;
    for (const part of chunks(ops, this.profile.maxBulkOps)) {
      this.bulkWrites += 1;
      try {
        matched += (await this.deadline(`bulkWrite of ${part.length} to ${collection}`, () => this.db.collection<T>(collection).bulkWrite(part, { ordered: false }))).matchedCount;
      } catch (err) {
        if (!(err instanceof MongoBulkWriteError)) throw err;
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        if (errors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
        matched += err.result.matchedCount;
        duplicates += errors.length;
      }
    }
    return { matched, duplicates };
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function withoutId<T extends { _id: string }>(doc: T): Omit<T, '_id'> {
  const { _id: _ignored, ...rest } = doc;
  return rest;
}
