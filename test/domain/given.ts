import { expect } from 'vitest';
import { decide, fold, type AccountCommand, type AccountEvent, type LedgerError } from '../../src/domain/index.js';

/** given past events, when a command, then events or an error (STYLE.md §6). */
export function given(...past: AccountEvent[]) {
  return {
    when(command: AccountCommand) {
      const run = () => decide(command, fold(past));
      return {
        then(...expected: AccountEvent[]) {
          expect(run()).toEqual(expected);
        },
        thenFailsWith(error: abstract new (...args: never[]) => LedgerError, reason?: string) {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(error);
          if (reason !== undefined) expect((thrown as LedgerError).reason).toBe(reason);
          return thrown as LedgerError;
        },
      };
    },
  };
}

export const ACCOUNT = '7b1e2a40-5c1d-4f8e-9a51-0c3b2f7d9e11';
export const OWNER = 'owner-1';

export const accountOpened = (currency = 'EUR'): AccountEvent => ({
  type: 'AccountOpened',
  data: { accountId: ACCOUNT, ownerId: OWNER, currency },
});
export const moneyDeposited = (amount: bigint): AccountEvent => ({ type: 'MoneyDeposited', data: { amount } });
export const moneyWithdrawn = (amount: bigint): AccountEvent => ({ type: 'MoneyWithdrawn', data: { amount } });
export const accountClosed = (reason?: string): AccountEvent => ({
  type: 'AccountClosed',
  data: reason === undefined ? {} : { reason },
});

export const openAccount = (currency = 'EUR'): AccountCommand => ({
  type: 'OpenAccount',
  data: { accountId: ACCOUNT, ownerId: OWNER, currency },
});
export const deposit = (amount: bigint, currency = 'EUR'): AccountCommand => ({
  type: 'Deposit',
  data: { accountId: ACCOUNT, amount, currency },
});
export const withdraw = (amount: bigint, currency = 'EUR'): AccountCommand => ({
  type: 'Withdraw',
  data: { accountId: ACCOUNT, amount, currency },
});
export const closeAccount = (reason?: string): AccountCommand => ({
  type: 'CloseAccount',
  data: reason === undefined ? { accountId: ACCOUNT } : { accountId: ACCOUNT, reason },
});
