import type { AccountEvent } from '../domain/index.js';
import type { DebitedTransfer } from './transfer-process.js';

/** The debit a transfer process acts on, from a decoded account event; undefined for any other event. */
export function debitOf(accountId: string, eventId: string, event: AccountEvent | undefined): DebitedTransfer | undefined {
  if (event?.type !== 'TransferDebited') return undefined;
  return { ...event.data, fromAccountId: accountId, debitEventId: eventId };
}
