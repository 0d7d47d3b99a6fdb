import type { RecordedAccountEvent } from './recorded-account-event.js';
import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import { AccountSummaryProjection } from './account-summary-projection.js';
import { AccountTransactionsProjection } from './account-transactions-projection.js';

/** What a handler did with one event (STYLE.md §11). */
export type EventOutcome = 'applied' | 'duplicate' | 'gap' | 'ignored' | 'held';

/** Revision of the last event folded into a stored summary; -1 before the first. */
export const appliedRevision = (summary: AccountSummaryDocument | undefined): bigint => summary?.revision ?? -1n;

/**
 * Where an event stands against what is stored: already applied (duplicate),
 * the very next one, or past a hole that must be filled from the stream first.
 */
export function placeEvent(stored: bigint, revision: bigint): 'duplicate' | 'next' | 'gap' {
  if (revision <= stored) return 'duplicate';
  return revision === stored + 1n ? 'next' : 'gap';
}

export type AccountFold = {
  readonly summary: AccountSummaryDocument | undefined;
  readonly transactions: readonly AccountTransactionDocument[];
  /** Revision of the last event folded in; -1 when none was. */
  readonly revision: bigint;
};

/**
 * Folds contiguous events (revisions stored+1, stored+2, …) into the stored
 * summary and collects the transaction documents they produce. Throws on a
 * hole: callers fill holes from the stream before folding.
 */
export function foldAccount(stored: AccountSummaryDocument | undefined, storedRevision: bigint, events: readonly RecordedAccountEvent[]): AccountFold {
  let summary = stored;
  let revision = storedRevision;
  const transactions: AccountTransactionDocument[] = [];
  for (const recorded of events) {
    if (recorded.revision <= revision) continue;
    if (recorded.revision !== revision + 1n) throw new Error(`gap in account ${recorded.accountId}: ${revision} then ${recorded.revision}`);
    summary = AccountSummaryProjection.evolve(summary, recorded);
    const tx = AccountTransactionsProjection.transactionOf(summary, recorded);
    if (tx !== undefined) transactions.push(tx);
    revision = recorded.revision;
  }
  return { summary, transactions, revision };
}
