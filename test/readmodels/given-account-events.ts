import type { AccountEvent } from '../../src/domain/events.js';
import type { RecordedAccountEvent } from '../../src/readmodels/recorded-account-event.js';
import type { AccountSummaryDocument } from '../../src/readmodels/account-documents.js';
import { AccountSummaryProjection } from '../../src/readmodels/account-summary-projection.js';

export const ACCOUNT = '0f8fad5b-d9cb-469f-a165-70867728950e';
const base = Date.parse('2026-01-15T10:00:00.000Z');

/** Events of one account at revisions 0, 1, 2, … one minute apart. */
export function recorded(...events: (AccountEvent | undefined)[]): RecordedAccountEvent[] {
  return events.map((event, i) => ({
    eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    accountId: ACCOUNT,
    revision: BigInt(i),
    event,
    occurredAt: new Date(base + i * 60_000),
  }));
}

export const opened = (currency = 'EUR', ownerId = 'owner-1'): AccountEvent => ({ type: 'AccountOpened', data: { accountId: ACCOUNT, ownerId, currency } });
export const deposited = (amount: bigint): AccountEvent => ({ type: 'MoneyDeposited', data: { amount } });
export const withdrawn = (amount: bigint): AccountEvent => ({ type: 'MoneyWithdrawn', data: { amount } });
export const closed = (reason?: string): AccountEvent => ({ type: 'AccountClosed', data: reason === undefined ? {} : { reason } });

export const foldSummary = (events: readonly RecordedAccountEvent[]): AccountSummaryDocument | undefined =>
  events.reduce<AccountSummaryDocument | undefined>(AccountSummaryProjection.evolve, undefined);
