import { MongoServerError, type Db } from 'mongodb';
import { TRANSFERS_COLLECTION, type TransferDocument } from './transfer-documents.js';

/**
 * Writes `transfers` documents, guarded by the stream revision: a document
 * is replaced only by one folded from more of its stream, so redelivery and
 * out-of-order delivery never move it back. Indexed for "the transfers of an
 * account" (from and to).
 */
export class MongoTransferDocuments {
  constructor(private readonly db: Db) {}

  async ensureIndexes(): Promise<void> {
    const c = this.db.collection<TransferDocument>(TRANSFERS_COLLECTION);
    await c.createIndex({ from_account_id: 1, requested_at: 1 });
    await c.createIndex({ to_account_id: 1, requested_at: 1 });
  }

  async write(doc: TransferDocument): Promise<'written' | 'stale'> {
    const { _id, ...fields } = doc;
    try {
      // Matches an older revision (update) or nothing (insert); a newer or equal stored one makes the insert collide.
      await this.db.collection<TransferDocument>(TRANSFERS_COLLECTION).updateOne({ _id, revision: { $lt: doc.revision } }, { $set: fields }, { upsert: true });
      return 'written';
    } catch (err) {
      if (err instanceof MongoServerError && err.code === 11000) return 'stale';
      throw err;
    }
  }

  async get(transferId: string): Promise<TransferDocument | undefined> {
    return (await this.db.collection<TransferDocument>(TRANSFERS_COLLECTION).findOne({ _id: transferId }, { useBigInt64: true })) ?? undefined;
  }
}
