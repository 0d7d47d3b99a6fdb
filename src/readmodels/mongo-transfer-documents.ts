import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import { TRANSFERS_COLLECTION, type TransferDocument } from './transfer-documents.js';

const DUPLICATE_KEY = 11000;

/**
 * Writes `transfers` documents, guarded by the stream revision: a document
 * is replaced only by one folded from more of its stream, so redelivery and
 * out-of-order delivery never move it back. Indexed for "the transfers of an
 * account" (from and to). `collection` is the projection's active one (the
 * registry's), or a rebuild's target.
 */
export class MongoTransferDocuments {
  constructor(
    private readonly db: Db,
    readonly collection: string = TRANSFERS_COLLECTION,
  ) {}

  async ensureIndexes(): Promise<void> {
    const c = this.documents();
    // ListTransfers: one account in either role, newest first, keyset paging on (requested_at, _id).
    await c.createIndex({ from_account_id: 1, requested_at: 1 });
    await c.createIndex({ to_account_id: 1, requested_at: 1 });
  }

  async write(doc: TransferDocument): Promise<'written' | 'stale'> {
    try {
      await this.documents().updateOne(...guardedUpsert(doc));
      return 'written';
    } catch (err) {
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return 'stale';
      throw err;
    }
  }

  /** Several documents in one round trip, each guarded as `write`; a stale one is left as it is. */
  async writeMany(docs: readonly TransferDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const ops: AnyBulkWriteOperation<TransferDocument>[] = docs.map((doc) => {
      const [filter, update, options] = guardedUpsert(doc);
      return { updateOne: { filter, update, ...options } };
    });
    try {
      await this.documents().bulkWrite(ops, { ordered: false });
    } catch (err) {
      // Unordered: the others were written; a duplicate key is a newer stored document.
      if (err instanceof MongoBulkWriteError && err.writeErrors !== undefined) {
        const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
        if (errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY)) return;
      }
      throw err;
    }
  }

  async get(transferId: string): Promise<TransferDocument | undefined> {
    return (await this.documents().findOne({ _id: transferId }, { useBigInt64: true })) ?? undefined;
  }

  async getMany(transferIds: readonly string[]): Promise<Map<string, TransferDocument>> {
    const found = new Map<string, TransferDocument>();
    if (transferIds.length === 0) return found;
    for (const doc of await this.documents().find({ _id: { $in: [...transferIds] } }, { useBigInt64: true }).toArray()) found.set(doc._id, doc);
    return found;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.documents().findOne({}, { projection: { _id: 1 } })) === null;
  }

  async drop(): Promise<void> {
    try {
      await this.documents().drop();
    } catch (err) {
      if (err instanceof Error && /ns not found|NamespaceNotFound|does not exist/i.test(err.message)) return;
      throw err;
    }
  }

  private documents() {
    return this.db.collection<TransferDocument>(this.collection);
  }
}

/** Matches an older revision (update) or nothing (insert); a newer or equal stored one makes the insert collide. */
function guardedUpsert(doc: TransferDocument) {
  const { _id, ...fields } = doc;
  return [{ _id, revision: { $lt: doc.revision } }, { $set: fields }, { upsert: true }] as const;
}
