import type { AccountEvent } from '../domain/index.js';
import type { DebitedTransfer, DecidedCredit } from './transfer-process.js';

/** The debit a transfer process acts on, from a decoded account event; undefined for any other event. */
export function debitOf(accountId: string, eventId: string, event: AccountEvent | undefined): DebitedTransfer | undefined {
  if (event?.type !== 'TransferDebited') return undefined;
  return { ...event.data, fromAccountId: accountId, debitEventId: eventId };
}

/** The destination's decision on a transfer's credit, from a decoded account event; undefined for any other event. */
export function decidedCreditOf(accountId: string, eventId: string, event: AccountEvent | undefined): DecidedCredit | undefined {
  if (event?.type === 'TransferCredited') {
    const { transferId, fromAccountId, amount } = event.data;
    return { transferId, fromAccountId, toAccountId: accountId, amount, creditEventId: eventId };
  }
  if (event?.type === 'TransferCreditRefused') {
    const { transferId, fromAccountId, amount, reason } = event.data;
    return { transferId, fromAccountId, toAccountId: accountId, amount, refusedBecause: reason, creditEventId: eventId };
  }
  return undefined;
}
