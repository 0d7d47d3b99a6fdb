import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import { foldAccount } from './account-fold.js';
import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import { toRecordedAccountEvent, type RecordedAccountEvent, type StoredEvent } from './recorded-account-event.js';
import type { RebuildTarget } from './rebuild.js';

export const rebuildableProjections = ['account_summaries', 'account_transactions'] as const;
export type RebuildableProjection = (typeof rebuildableProjections)[number];
export const isRebuildableProjection = (name: string): name is RebuildableProjection =>
  (rebuildableProjections as readonly string[]).includes(name);

const DUPLICATE_KEY = 11000;

/**
 * Writes a rebuild into Mongo with the projector's own fold (account-fold.ts).
 * The two projections fold together (balance_after needs the summary), so a
 * transactions rebuild keeps its summaries in a scratch `<target>_fold`
 * collection, dropped when the rebuild ends.
 *
 * Each summary write is guarded by revision: after the flip the live
 * projector writes to the same collection, and whichever write is older
 * loses (a duplicate-key on the guarded upsert), so a document only moves
 * forward and always equals the fold of its stream up to its revision.
 */
export class MongoRebuildTarget implements RebuildTarget {
  private readonly foldCollection: string;

  constructor(
    private readonly db: Db,
    readonly projection: RebuildableProjection,
    readonly collection: string,
  ) {
    this.foldCollection = projection === 'account_summaries' ? collection : `${collection}_fold`;
  }

  async prepare(): Promise<void> {
    if (this.projection === 'account_summaries') {
      await this.db.collection(this.collection).createIndex({ owner_id: 1 });
    } else {
      await this.db.collection(this.collection).createIndex({ account_id: 1, occurred_at: 1 });
    }
  }

  async apply(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const byAccount = new Map<string, RecordedAccountEvent[]>();
    for (const stored of events) {
      const recorded = toRecordedAccountEvent(stored);
      const list = byAccount.get(recorded.accountId) ?? [];
      list.push(recorded);
      byAccount.set(recorded.accountId, list);
    }
    const summaries = this.db.collection<AccountSummaryDocument>(this.foldCollection);
    const stored = new Map<string, AccountSummaryDocument>();
    for await (const doc of summaries.find({ _id: { $in: [...byAccount.keys()] } })) stored.set(doc._id, doc);

    const summaryWrites: AnyBulkWriteOperation<AccountSummaryDocument>[] = [];
    const transactionWrites: AnyBulkWriteOperation<AccountTransactionDocument>[] = [];
    for (const [accountId, recorded] of byAccount) {
      const before = stored.get(accountId);
      // No document yet: nothing to guard; events before an opening fold to nothing.
      const from = before?.revision ?? (recorded[0]?.revision ?? 0n) - 1n;
      const folded = foldAccount(before, from, recorded);
      if (folded.summary && folded.summary.revision !== before?.revision) {
        summaryWrites.push({
          replaceOne: { filter: { _id: accountId, revision: { $lt: folded.summary.revision } }, replacement: folded.summary, upsert: true },
        });
      }
      for (const tx of folded.transactions) transactionWrites.push({ replaceOne: { filter: { _id: tx._id }, replacement: tx, upsert: true } });
    }
    if (this.projection === 'account_transactions' && transactionWrites.length > 0) {
      await this.db.collection<AccountTransactionDocument>(this.collection).bulkWrite(transactionWrites, { ordered: false });
    }
    // Summaries last: they are the fold state, so a crash in between only repeats transaction upserts.
    if (summaryWrites.length > 0) await ignoringStaleWrites(summaries.bulkWrite(summaryWrites, { ordered: false }));
  }

  async finish(): Promise<void> {
    if (this.foldCollection !== this.collection) await this.db.collection(this.foldCollection).drop().catch(ignoreMissing);
  }

  async drop(): Promise<void> {
    await this.db.collection(this.collection).drop().catch(ignoreMissing);
    await this.finish();
  }
}

/** A guarded upsert that lost to a newer document fails with a duplicate key: that is the intended no-op. */
async function ignoringStaleWrites(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (e) {
    if (e instanceof MongoBulkWriteError) {
      const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
      if (errors.length > 0 && errors.every((w) => w.code === DUPLICATE_KEY)) return;
    }
    throw e;
  }
}

const ignoreMissing = (e: unknown): void => {
  if (e instanceof Error && /ns not found|NamespaceNotFound/i.test(e.message)) return;
  throw e;
};
