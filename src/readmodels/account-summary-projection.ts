import type { RecordedAccountEvent } from './recorded-account-event.js';
import type { AccountSummaryDocument } from './account-documents.js';

/**
 * AccountSummaryProjection: the pure fold behind `account_summaries`.
 * evolve(summary, event) → next summary. No clock, no I/O: equal streams give
 * equal documents, which is what makes redelivery and rebuilds harmless.
 */
export const AccountSummaryProjection = {
  name: 'account_summaries',
  evolve,
} as const;

function evolve(summary: AccountSummaryDocument | undefined, recorded: RecordedAccountEvent): AccountSummaryDocument | undefined {
  const { event, occurredAt, revision } = recorded;
  if (summary === undefined) {
    // Only an opening creates the document; anything before it has nothing to attach to.
    if (event?.type !== 'AccountOpened') return undefined;
    return {
      _id: recorded.accountId,
      owner_id: event.data.ownerId,
      balance: 0n,
      currency: event.data.currency,
      status: 'open',
      tx_count: 0n,
      opened_at: occurredAt,
      last_tx_at: null,
      closed_at: null,
      updated_at: occurredAt,
      revision,
    };
  }
  // Unknown types and a repeated opening still take their revision, or every
  // later event would look like a gap.
  if (event === undefined) return { ...summary, revision };
  switch (event.type) {
    case 'AccountOpened':
      return { ...summary, revision };
    case 'MoneyDeposited':
      return moneyMoved(summary, event.data.amount, recorded);
    case 'MoneyWithdrawn':
      return moneyMoved(summary, -event.data.amount, recorded);
    case 'AccountClosed':
      return { ...summary, status: 'closed', closed_at: occurredAt, updated_at: occurredAt, revision };
    case 'DepositReversed':
      return moneyMoved(summary, -event.data.amount, recorded);
    case 'WithdrawalReversed':
      return moneyMoved(summary, event.data.amount, recorded);
    case 'TransferDebited':
      return inFlight(moneyMoved(summary, -event.data.amount, recorded), event.data.amount);
    case 'TransferCreditRefused':
      return { ...summary, updated_at: occurredAt, revision };
    case 'TransferDebitSettled':
      return inFlight({ ...summary, updated_at: occurredAt, revision }, -event.data.amount);
    case 'TransferDebitReversed':
      return inFlight(moneyMoved(summary, event.data.amount, recorded), -event.data.amount);
    case 'TransferCredited':
      return moneyMoved(summary, event.data.amount, recorded);
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

/** Money debited by this account's transfers and not yet settled or refunded; the field appears with the first transfer. */
const inFlight = (summary: AccountSummaryDocument, delta: bigint): AccountSummaryDocument => ({
  ...summary,
  in_flight_out: (summary.in_flight_out ?? 0n) + delta,
});

function moneyMoved(summary: AccountSummaryDocument, delta: bigint, recorded: RecordedAccountEvent): AccountSummaryDocument {
  return {
    ...summary,
    balance: summary.balance + delta,
    tx_count: summary.tx_count + 1n,
    last_tx_at: recorded.occurredAt,
    updated_at: recorded.occurredAt,
    revision: recorded.revision,
  };
}
