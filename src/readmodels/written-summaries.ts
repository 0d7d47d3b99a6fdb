import type { AccountSummaryDocument } from './account-documents.js';

/** Enough for every account a busy projector touches between restarts; the oldest are forgotten first. */
const DEFAULT_CAPACITY = 200_000;

/**
 * The summaries this process wrote last, per collection and account. The
 * writer plans the next batch from them instead of reading them back from
 * Mongo: the guarded write (filter {_id, revision}) still checks each one, so
 * a stale entry (another consumer moved the account) only costs a conflict,
 * a re-read and a second round. Safe as long as stored revisions never go
 * backwards under a running store: a Mongo that loses data (the in-memory
 * embedded server restarting) gets a new store, hence an empty cache.
 */
export class WrittenSummaries {
  private readonly byKey = new Map<string, AccountSummaryDocument>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  get(collection: string, accountId: string): AccountSummaryDocument | undefined {
    return this.byKey.get(summaryKey(collection, accountId));
  }

  remember(collection: string, summary: AccountSummaryDocument): void {
    const k = summaryKey(collection, summary._id);
    this.byKey.delete(k); // re-insert: Map order is the eviction order
    this.byKey.set(k, summary);
    if (this.byKey.size > this.capacity) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
    }
  }

  forget(collection: string, accountId: string): void {
    this.byKey.delete(summaryKey(collection, accountId));
  }
}

/** One account's summary in one collection, as a map key (also the rebuild's staging). */
export const summaryKey = (collection: string, accountId: string): string => `${collection}\u0000${accountId}`;
