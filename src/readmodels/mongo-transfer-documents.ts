import { MongoBulkWriteError, MongoServerError, type AnyBulkWriteOperation, type Db } from 'mongodb';
import { dropCollection } from './rebuild-collections.js';
import { TransferAccountIndex, transferAccountIndexCollection } from './transfer-account-index.js';
import { TRANSFERS_COLLECTION, type TransferDocument } from './transfer-documents.js';

const DUPLICATE_KEY = 11000;
/** Guarded writes tried before giving up on a document other writers keep changing. */
const MAX_ATTEMPTS = 10;

/**
 * Writes `transfers` documents, guarded by the stream revision: a document
 * is replaced only by one folded from more of its stream, so redelivery and
 * out-of-order delivery never move it back. "The transfers of an account"
 * (from and to) are listed in `accounts` (`<collection>_by_account`), whose
 * entries are written before a document is first inserted. `collection` is
 * the projection's active one (the registry's), or a rebuild's target.
 */
export class MongoTransferDocuments {
  readonly accounts: TransferAccountIndex;

  constructor(
    private readonly db: Db,
    readonly collection: string = TRANSFERS_COLLECTION,
  ) {
    this.accounts = new TransferAccountIndex(db, transferAccountIndexCollection(collection));
  }

  async ensureIndexes(): Promise<void> {
    const c = this.documents();
    // Direct readers' "transfers of an account" (MongoDB, FerretDB); ListTransfers reads the account index.
    await c.createIndex({ from_account_id: 1, requested_at: 1 });
    await c.createIndex({ to_account_id: 1, requested_at: 1 });
    // The write guard's lookup {_id, revision} (equality): mongo-java-server looks an index up only
    // by exactly its fields, and a range on revision scans the collection whatever the indexes
    // (bench/RESULTS.md, issue 15). On MongoDB _id's own index serves it; this one is small.
    await c.createIndex({ _id: 1, revision: 1 }, { name: '_id_1_revision_1', unique: true });
  }

  /**
   * Replaces the stored document only by one folded from more of its stream.
   * Every filter is an equality on `{_id}` or `{_id, revision}`, which every
   * server answers from an index: first the usual case (the stored one is the
   * revision before), else the stored revision is read and the write retried.
   */
  async write(doc: TransferDocument): Promise<'written' | 'stale'> {
    if (doc.revision > 0n && (await this.replaceAt(doc, doc.revision - 1n))) return 'written';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.documents().findOne({ _id: doc._id }, { projection: { revision: 1 }, useBigInt64: true });
      if (stored === null) {
        await this.accounts.add([doc]);
        if (await this.insert(doc)) return 'written';
      } else if (stored.revision >= doc.revision) return 'stale';
      else if (await this.replaceAt(doc, stored.revision)) return 'written';
      // Another writer got there between the read and the write: read again.
    }
    throw new Error(`transfer document ${doc._id}: changed under ${MAX_ATTEMPTS} writes in a row`);
  }

  /**
   * Several documents in one round trip, each guarded by the revision the
   * caller found stored (`stored`; none: inserted). A guard that misses (the
   * live writer wrote meanwhile) sends that batch through `write` one by
   * one, which keeps the newer fold either way. The ones to insert are
   * listed in the account index first.
   */
  async writeMany(docs: readonly TransferDocument[], stored: ReadonlyMap<string, TransferDocument>): Promise<void> {
    if (docs.length === 0) return;
    await this.accounts.add(docs.filter((doc) => !stored.has(doc._id)));
    const ops: AnyBulkWriteOperation<TransferDocument>[] = docs.map((doc) => {
      const before = stored.get(doc._id);
      if (before === undefined) return { insertOne: { document: doc } };
      const { _id, ...fields } = doc;
      return { updateOne: { filter: { _id, revision: before.revision }, update: { $set: fields } } };
    });
    let applied = 0;
    try {
      const r = await this.documents().bulkWrite(ops, { ordered: false });
      applied = r.insertedCount + r.matchedCount;
    } catch (err) {
      // Unordered: the others were written; a duplicate key is a document inserted meanwhile.
      if (!(err instanceof MongoBulkWriteError && err.writeErrors !== undefined)) throw err;
      const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (errors.length === 0 || !errors.every((e) => e.code === DUPLICATE_KEY)) throw err;
    }
    if (applied === docs.length) return;
    for (const doc of docs) await this.write(doc);
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

  /** Also when only the account index is empty (documents written before it existed): a fill lists them. */
  async isEmpty(): Promise<boolean> {
    return (await this.documents().findOne({}, { projection: { _id: 1 } })) === null || (await this.accounts.isEmpty());
  }

  async drop(): Promise<void> {
    await dropCollection(this.db, this.collection);
    await dropCollection(this.db, this.accounts.collection);
  }

  private async replaceAt(doc: TransferDocument, revision: bigint): Promise<boolean> {
    const { _id, ...fields } = doc;
    return (await this.documents().updateOne({ _id, revision }, { $set: fields })).matchedCount > 0;
  }

  /** false: a document with that id is there (inserted meanwhile). */
  private async insert(doc: TransferDocument): Promise<boolean> {
    try {
      await this.documents().insertOne(doc);
      return true;
    } catch (err) {
      if (err instanceof MongoServerError && err.code === DUPLICATE_KEY) return false;
      throw err;
    }
  }

  private documents() {
    return this.db.collection<TransferDocument>(this.collection);
  }
}
