import type { AccountEvent, Currency } from './events.js';

/** The write model: just what decisions need, folded from the stream. */
export type Account =
  | { readonly status: 'none' }
  | {
      readonly status: 'open' | 'closed';
      readonly accountId: string;
      readonly ownerId: string;
      readonly currency: Currency;
      readonly balance: bigint;
      /** Money events so far: deposits, withdrawals and their reversals. */
      readonly txCount: number;
      /** Event ids of the deposits and withdrawals already reversed (issue 15). */
      readonly reversed: ReadonlySet<string>;
      /** Debited by this account's transfers and neither settled nor refunded yet (issue 15). */
      readonly inFlightOut: bigint;
    };

export const initialAccount: Account = { status: 'none' };

/**
 * Applies one stored event. Past events are facts: evolve never refuses one,
 * it only ignores what cannot apply (a money event before the opening).
 */
export function evolve(account: Account, event: AccountEvent): Account {
  switch (event.type) {
    case 'AccountOpened':
      return { status: 'open', ...event.data, balance: 0n, txCount: 0, reversed: new Set(), inFlightOut: 0n };
    case 'MoneyDeposited':
      if (account.status === 'none') return account;
      return { ...account, balance: account.balance + event.data.amount, txCount: account.txCount + 1 };
    case 'MoneyWithdrawn':
      if (account.status === 'none') return account;
      return { ...account, balance: account.balance - event.data.amount, txCount: account.txCount + 1 };
    case 'AccountClosed':
      if (account.status === 'none') return account;
      return { ...account, status: 'closed' };
    case 'DepositReversed':
    case 'WithdrawalReversed': {
      if (account.status === 'none') return account;
      const delta = event.type === 'DepositReversed' ? -event.data.amount : event.data.amount;
      return {
        ...account,
        balance: account.balance + delta,
        txCount: account.txCount + 1,
        reversed: new Set([...account.reversed, event.data.transactionId]),
      };
    }
    case 'TransferDebited':
      if (account.status === 'none') return account;
      return { ...account, balance: account.balance - event.data.amount, txCount: account.txCount + 1, inFlightOut: account.inFlightOut + event.data.amount };
    case 'TransferCreditRefused':
      return account;
    case 'TransferDebitSettled':
      if (account.status === 'none') return account;
      return { ...account, inFlightOut: account.inFlightOut - event.data.amount };
    case 'TransferDebitReversed':
      if (account.status === 'none') return account;
      return { ...account, balance: account.balance + event.data.amount, txCount: account.txCount + 1, inFlightOut: account.inFlightOut - event.data.amount };
    case 'TransferCredited':
      if (account.status === 'none') return account;
      return { ...account, balance: account.balance + event.data.amount, txCount: account.txCount + 1 };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export const fold = (events: readonly AccountEvent[], from: Account = initialAccount): Account =>
  events.reduce(evolve, from);
