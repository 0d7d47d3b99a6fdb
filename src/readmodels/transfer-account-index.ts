import type { AnyBulkWriteOperation, Db } from 'mongodb';
import type { TransferDocument } from './transfer-documents.js';

/** The account index of a transfers collection: `<collection>_by_account` (issue 15). */
export const transferAccountIndexCollection = (transfers: string): string => `${transfers}_by_account`;

/** An account's role in a transfer. */
export type TransferRole = 'from' | 'to';
export type TransferIndexEntry = { readonly transferId: string; readonly requestedAt: Date; readonly role: TransferRole };

/** The days (UTC, `YYYY-MM-DD`) on which an account has transfers. `_id` = account id. */
type AccountDaysDocument = { _id: string; days: string[] };
/** One account's transfers requested on one UTC day. `_id` = `<account id>@<day>`. */
type AccountDayDocument = { _id: string; transfers: Record<string, { requested_at: Date; role: TransferRole }> };
type IndexDocument = AccountDaysDocument | AccountDayDocument;

const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const dayDocumentId = (accountId: string, day: string): string => `${accountId}@${day}`;
/** Newest first by (requested_at, transfer id), the order ListTransfers answers. */
type TransferKey = { readonly requestedAt: Date; readonly transferId: string };
const newestFirst = (a: TransferKey, b: TransferKey): number =>
  b.requestedAt.getTime() - a.requestedAt.getTime() || (a.transferId < b.transferId ? 1 : a.transferId > b.transferId ? -1 : 0);
/** Day documents fetched by the first read; later reads take as many as the entries per day read so far suggest. */
const FIRST_READ_DAYS = 2;
/** At most this many day documents per read (a busy account's days are large). */
const MAX_READ_DAYS = 64;

/**
 * "The transfers of an account" without a query on a non-`_id` field:
 * mongo-java-server ignores non-unique indexes and answers anything but an
 * equality (or `$in`) on exactly a unique index's fields by scanning the
 * collection (its 1.47 source: AbstractMongoDatabase.openOrCreateSecondaryIndex,
 * AbstractUniqueIndex.canHandle). So each account has a document listing the
 * days it has transfers on, and one document per day listing that day's
 * transfers; both are read by `_id` (and `$in` on `_id`), which every server
 * answers from its `_id` index.
 *
 * An entry holds only what a transfer's initiation fixes (its id, accounts,
 * requested_at), so it never changes: writing it is an idempotent `$set` /
 * `$addToSet`, and redelivery, reordering and concurrent writers cannot
 * disagree about it. Writers add a transfer's entries before its document is
 * first inserted, so a document's transfer is always listed; an entry whose
 * document is not there yet (a writer between the two, or stopped there) is
 * skipped by readers until it is.
 */
export class TransferAccountIndex {
  constructor(
    private readonly db: Db,
    readonly collection: string,
  ) {}

  /** Lists the transfers (both accounts) in one round trip; writing them again changes nothing. */
  async add(docs: readonly TransferDocument[]): Promise<void> {
    if (docs.length === 0) return;
    const days = new Map<string, Set<string>>();
    const entries = new Map<string, Record<string, { requested_at: Date; role: TransferRole }>>();
    for (const doc of docs) {
      const day = dayOf(doc.requested_at);
      for (const [accountId, role] of [[doc.from_account_id, 'from'], [doc.to_account_id, 'to']] as const) {
        days.set(accountId, (days.get(accountId) ?? new Set()).add(day));
        const id = dayDocumentId(accountId, day);
        // Transfer ids are uuids: safe as field names.
        entries.set(id, { ...entries.get(id), [`transfers.${doc._id}`]: { requested_at: doc.requested_at, role } });
      }
    }
    const ops: AnyBulkWriteOperation<IndexDocument>[] = [
      ...[...entries].map(([_id, set]) => ({ updateOne: { filter: { _id }, update: { $set: set }, upsert: true } })),
      ...[...days].map(([_id, d]) => ({ updateOne: { filter: { _id }, update: { $addToSet: { days: { $each: [...d] } } }, upsert: true } })),
    ];
    await this.documents().bulkWrite(ops as AnyBulkWriteOperation<IndexDocument>[], { ordered: false });
  }

  /**
   * One account's entries in `roles`, newest first, strictly before `before`
   * when given: at least `count` of them unless the account has fewer (whole
   * days are read, so possibly more).
   */
  async entries(accountId: string, roles: readonly TransferRole[], count: number, before: TransferKey | undefined): Promise<TransferIndexEntry[]> {
    const account = await this.documents().findOne({ _id: accountId });
    if (account === null || !('days' in account)) return [];
    const lastDay = before === undefined ? undefined : dayOf(before.requestedAt);
    const days = account.days.filter((d) => lastDay === undefined || d <= lastDay).sort().reverse();
    const found: TransferIndexEntry[] = [];
    // Days are disjoint in time: once a day's entries are in, no older day has a newer one.
    for (let i = 0, take = FIRST_READ_DAYS; i < days.length && found.length < count; ) {
      const ids = days.slice(i, i + take).map((d) => dayDocumentId(accountId, d));
      i += take;
      const dayDocs = await this.documents().find({ _id: { $in: ids } }).toArray();
      for (const dayDoc of dayDocs) {
        if (!('transfers' in dayDoc)) continue;
        for (const [transferId, { requested_at: requestedAt, role }] of Object.entries(dayDoc.transfers)) {
          if (!roles.includes(role)) continue;
          const entry = { transferId, requestedAt, role };
          if (before === undefined || newestFirst(entry, before) > 0) found.push(entry);
        }
      }
      // Sparse accounts in one more round trip, busy ones without fetching days they do not need.
      const perDay = Math.max(found.length / i, 1 / MAX_READ_DAYS);
      take = Math.min(MAX_READ_DAYS, Math.max(1, Math.ceil((count - found.length) / perDay)));
    }
    return found.sort(newestFirst);
  }

  async isEmpty(): Promise<boolean> {
    return (await this.documents().findOne({}, { projection: { _id: 1 } })) === null;
  }

  private documents() {
    return this.db.collection<IndexDocument>(this.collection);
  }
}
