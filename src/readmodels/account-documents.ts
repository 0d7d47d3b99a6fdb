/**
 * The read-model documents: a contract for direct readers (docs/read-model.md).
 * Money and counters are BSON Int64 (bigint here): exact, sortable and
 * summable by Mongo, never a float. Read them with `useBigInt64: true`, or a
 * driver's Long type; do not let a driver promote them to doubles.
 * Times are BSON dates taken from the events (occurred_at), never from the
 * projector's clock, so a document is a pure fold of its stream.
 */

export type AccountStatusValue = 'open' | 'closed';

/** account_summaries: one per account, _id = account id. */
export type AccountSummaryDocument = {
  readonly _id: string;
  readonly owner_id: string;
  readonly balance: bigint;
  readonly currency: string;
  readonly status: AccountStatusValue;
  readonly tx_count: bigint;
  readonly opened_at: Date;
  readonly last_tx_at: Date | null;
  readonly closed_at: Date | null;
  /** occurred_at of the last applied event. */
  readonly updated_at: Date;
  /** Stream revision of the last applied event (0-based). The write guard. */
  readonly revision: bigint;
};

export type TransactionTypeValue = 'deposit' | 'withdrawal';

/** account_transactions: one per money event, _id = event id. */
export type AccountTransactionDocument = {
  readonly _id: string;
  readonly account_id: string;
  readonly type: TransactionTypeValue;
  readonly amount: bigint;
  readonly balance_after: bigint;
  readonly occurred_at: Date;
  readonly revision: bigint;
};
