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
  const base = {
    _id: recorded.eventId, account_id: recorded.accountId, balance_after: after.balance, occurred_at: recorded.occurredAt, revision: recorded.revision,
    ...(recorded.actor === undefined ? {} : { actor: recorded.actor }),
  };
  switch (event.type) {
    case 'MoneyDeposited':
      return { ...base, type: 'deposit', amount: event.data.amount };
    case 'MoneyWithdrawn':
      return { ...base, type: 'withdrawal', amount: event.data.amount };
    case 'DepositReversed':
    case 'WithdrawalReversed':
      return {
        ...base,
        type: event.type === 'DepositReversed' ? 'deposit_reversal' : 'withdrawal_reversal',
        amount: event.data.amount,
        reverses: event.data.transactionId,
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
      };
    case 'TransferDebited':
      return { ...base, type: 'transfer_out', amount: event.data.amount, transfer_id: event.data.transferId, counterparty: event.data.toAccountId };
    case 'TransferCredited':
      return { ...base, type: 'transfer_in', amount: event.data.amount, transfer_id: event.data.transferId, counterparty: event.data.fromAccountId };
    case 'TransferDebitReversed':
      return { ...base, type: 'transfer_refund', amount: event.data.amount, transfer_id: event.data.transferId, reason: event.data.reason };
    case 'AccountOpened':
    case 'AccountClosed':
    case 'TransferCreditRefused':
    case 'TransferDebitSettled':
      return undefined;
    default: {
      const never: never = event;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}
