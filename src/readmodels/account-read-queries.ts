import type { Db, Filter } from 'mongodb';
import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import { AccountSummaryProjection } from './account-summary-projection.js';
import { AccountTransactionsProjection } from './account-transactions-projection.js';
import type { ProjectionRegistry } from './projection-registry.js';
import { ReadModelBehind } from './read-model-behind.js';
import { TransferAccountIndex, transferAccountIndexCollection, type TransferRole } from './transfer-account-index.js';
import { TRANSFERS_PROJECTION, type TransferDocument } from './transfer-documents.js';

export type Page<T, Cursor> = { readonly items: readonly T[]; readonly next: Cursor | undefined };
/** A page of transactions, with the reversal of each reversed one (issue 15): original id -> reversal id. */
export type TransactionPage = Page<AccountTransactionDocument, TransactionCursor> & { readonly reversedBy?: ReadonlyMap<string, string> };
export type TransactionCursor = { readonly occurredAt: Date; readonly revision: bigint };
export type TransferCursor = { readonly requestedAt: Date; readonly transferId: string };
/** An account's role in the transfers listed. */
export type TransferDirection = 'both' | 'outgoing' | 'incoming';
export type TimeRange = { readonly from: Date | undefined; readonly to: Date | undefined };

const readOptions = { useBigInt64: true } as const;
/** How long the active-collection pointer is trusted (a rebuild swap shows up within this). */
const REGISTRY_TTL_MS = 1_000;
/** A min_revision wait without a deadline still ends. */
const DEFAULT_WAIT_MS = 5_000;

/**
 * The read side's queries, through the projection registry so a rebuild's
 * swap is invisible to callers. Keyset paging: the cursor is the sort key of
 * the last item, so pages stay stable while documents are added.
 */
export class AccountReadQueries {
  private cached: { summaries: string; transactions: string; at: number } | undefined;
  private cachedTransfers: { collection: string; at: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly registry: ProjectionRegistry,
  ) {}

  async getAccount(accountId: string): Promise<AccountSummaryDocument | undefined> {
    const { summaries } = await this.collections();
    return (await this.db.collection<AccountSummaryDocument>(summaries).findOne({ _id: accountId }, readOptions)) ?? undefined;
  }

  /**
   * Read-your-writes: resolves once the account's summary has applied
   * minRevision; throws ReadModelBehind at the deadline (epoch ms).
   */
  async waitForRevision(accountId: string, minRevision: bigint, deadline: number | undefined): Promise<void> {
    const until = deadline ?? Date.now() + DEFAULT_WAIT_MS;
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const applied = (await this.getAccount(accountId))?.revision;
      if (applied !== undefined && applied >= minRevision) return;
      // Leave a little of the caller's time to send the answer.
      if (Date.now() + pause >= until - 20) throw new ReadModelBehind(accountId, minRevision, applied);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async listAccountsByOwner(ownerId: string, pageSize: number, afterAccountId: string | undefined): Promise<Page<AccountSummaryDocument, string>> {
    const { summaries } = await this.collections();
    const filter: Filter<AccountSummaryDocument> = afterAccountId === undefined ? { owner_id: ownerId } : { owner_id: ownerId, _id: { $gt: afterAccountId } };
    const docs = await this.db.collection<AccountSummaryDocument>(summaries).find(filter, readOptions).sort({ owner_id: 1, _id: 1 }).limit(pageSize + 1).toArray();
    const items = docs.slice(0, pageSize);
    return { items, next: docs.length > pageSize ? items.at(-1)?._id : undefined };
  }

  /** Oldest first; `from` inclusive, `to` exclusive. */
  async listTransactions(accountId: string, range: TimeRange, pageSize: number, after: TransactionCursor | undefined): Promise<TransactionPage> {
    const { transactions } = await this.collections();
    const occurred: { $gte?: Date; $lt?: Date } = {};
    if (range.from !== undefined) occurred.$gte = range.from;
    if (range.to !== undefined) occurred.$lt = range.to;
    const clauses: Filter<AccountTransactionDocument>[] = [{ account_id: accountId }];
    if (Object.keys(occurred).length > 0) clauses.push({ occurred_at: occurred });
    if (after !== undefined) {
      clauses.push({ $or: [{ occurred_at: { $gt: after.occurredAt } }, { occurred_at: after.occurredAt, revision: { $gt: after.revision } }] });
    }
    const docs = await this.db
      .collection<AccountTransactionDocument>(transactions)
      .find({ $and: clauses }, readOptions)
      .sort({ account_id: 1, occurred_at: 1, revision: 1 })
      .limit(pageSize + 1)
      .toArray();
    const items = docs.slice(0, pageSize);
    const last = items.at(-1);
    const next = docs.length > pageSize && last !== undefined ? { occurredAt: last.occurred_at, revision: last.revision } : undefined;
    // Documents are insert-only, so the link from an original to its reversal is found, not stored.
    const reversible = items.filter((d) => d.type === 'deposit' || d.type === 'withdrawal').map((d) => d._id);
    if (reversible.length === 0) return { items, next };
    const reversals = await this.db
      .collection<AccountTransactionDocument>(transactions)
      .find({ account_id: accountId, reverses: { $in: reversible } }, { ...readOptions, projection: { _id: 1, reverses: 1 } })
      .toArray();
    const reversedBy = new Map(reversals.flatMap((r) => (r.reverses === undefined ? [] : [[r.reverses, r._id] as const])));
    return { items, next, reversedBy };
  }

  /**
   * Newest first by (requested_at, _id). The account's entries come from the
   * transfers' account index (looked up by `_id` only: mongo-java-server
   * scans the collection for any other filter), then the page's documents by
   * `_id`. An entry whose document is not written yet is left out.
   */
  async listTransfers(accountId: string, direction: TransferDirection, pageSize: number, after: TransferCursor | undefined): Promise<Page<TransferDocument, TransferCursor>> {
    const transfers = await this.transfersCollection();
    const roles: readonly TransferRole[] = direction === 'both' ? ['from', 'to'] : direction === 'outgoing' ? ['from'] : ['to'];
    const index = new TransferAccountIndex(this.db, transferAccountIndexCollection(transfers));
    const entries = await index.entries(accountId, roles, pageSize + 1, after);
    const listed = entries.slice(0, pageSize);
    const found = listed.length === 0 ? [] : await this.db.collection<TransferDocument>(transfers)
      .find({ _id: { $in: listed.map((e) => e.transferId) } }, readOptions)
      .toArray();
    const byId = new Map(found.map((d) => [d._id, d]));
    const items = listed.flatMap((e) => byId.get(e.transferId) ?? []);
    const last = listed.at(-1);
    return { items, next: entries.length > pageSize && last !== undefined ? { requestedAt: last.requestedAt, transferId: last.transferId } : undefined };
  }

  /**
   * Looked up apart from the account projections: those are served even where transfers were never registered.
   * UNAVAILABLE (ReadModelUnavailable) while the transfer process is still filling the collection.
   */
  private async transfersCollection(): Promise<string> {
    if (this.cachedTransfers === undefined || Date.now() - this.cachedTransfers.at > REGISTRY_TTL_MS) {
      this.cachedTransfers = { collection: await this.registry.getFilledCollection(TRANSFERS_PROJECTION), at: Date.now() };
    }
    return this.cachedTransfers.collection;
  }

  private async collections(): Promise<{ summaries: string; transactions: string }> {
    if (this.cached === undefined || Date.now() - this.cached.at > REGISTRY_TTL_MS) {
      this.cached = {
        summaries: await this.registry.getActiveCollection(AccountSummaryProjection.name),
        transactions: await this.registry.getActiveCollection(AccountTransactionsProjection.name),
        at: Date.now(),
      };
    }
    return this.cached;
  }
}
