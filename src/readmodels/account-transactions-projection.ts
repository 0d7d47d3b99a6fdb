import type { RecordedAccountEvent } from './recorded-account-event.js';
import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';

/**
 * AccountTransactionsProjection: one document per money event. balance_after
 * needs the account's balance, so it reads the summary the event produced
 * (the two projections fold together; see account-fold.ts).
 */
export const AccountTransactionsProjection = {
  name: 'account_transactions',
  transactionOf,
} as const;

function transactionOf(after: AccountSummaryDocument | undefined, recorded: RecordedAccountEvent): AccountTransactionDocument | undefined {
  const { event } = recorded;
  if (after === undefined || event === undefined) return undefined;
  if (event.type !== 'MoneyDeposited' && event.type !== 'MoneyWithdrawn') return undefined;
  return {
    _id: recorded.eventId,
    account_id: recorded.accountId,
    type: event.type === 'MoneyDeposited' ? 'deposit' : 'withdrawal',
    amount: event.data.amount,
    balance_after: after.balance,
    occurred_at: recorded.occurredAt,
    revision: recorded.revision,
  };
}
