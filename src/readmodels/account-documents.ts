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
  /**
   * Money debited by this account's transfers and not yet settled (credited
   * to the destination) or refunded (issue 15). Absent until the account's
   * first transfer.
   */
  readonly in_flight_out?: bigint;
};

export type TransactionTypeValue =
  | 'deposit'
  | 'withdrawal'
  | 'deposit_reversal'
  | 'withdrawal_reversal'
  | 'transfer_out'
  | 'transfer_in'
  | 'transfer_refund';

/**
 * account_transactions: one per money event, _id = event id. A reversal
 * (issue 15) carries `reverses`, the _id of the transaction it reverses; the
 * original document is never rewritten (documents are insert-only), so the
 * link back (`reversed_by` in the API) is the reversal whose `reverses`
 * names it: one query on {account_id, reverses}.
 */
export type AccountTransactionDocument = {
  readonly _id: string;
  readonly account_id: string;
  readonly type: TransactionTypeValue;
  readonly amount: bigint;
  readonly balance_after: bigint;
  readonly occurred_at: Date;
  readonly revision: bigint;
  /** Reversals only: event id of the deposit or withdrawal reversed. */
  readonly reverses?: string;
  /** Reversals when one was given; transfer refunds always (why the destination refused). */
  readonly reason?: string;
  /** Transfer legs only (issue 15): the transfer's id. */
  readonly transfer_id?: string;
  /** transfer_out: the destination account; transfer_in: the source account. */
  readonly counterparty?: string;
  /** Who asked for it (event metadata `actor`, issue 13); absent when the event records none. */
  readonly actor?: string;
};
