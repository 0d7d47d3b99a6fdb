import { expect, test } from 'vitest';
import { fold, initialAccount } from '../../src/domain/index.js';
import { ACCOUNT, OWNER, accountClosed, accountOpened, moneyDeposited, moneyWithdrawn } from './given.js';

test('no events: the account does not exist', () => expect(fold([])).toEqual(initialAccount));

test('the balance is deposits minus withdrawals, counted as transactions', () =>
  expect(fold([accountOpened('CHF'), moneyDeposited(200n), moneyWithdrawn(50n), moneyWithdrawn(50n)])).toEqual({
    status: 'open',
    accountId: ACCOUNT,
    ownerId: OWNER,
    currency: 'CHF',
    balance: 100n,
    txCount: 3,
    reversed: new Set(),
    inFlightOut: 0n,
  }));

test('closing keeps the balance and history, changes the status', () =>
  expect(fold([accountOpened(), moneyDeposited(5n), moneyWithdrawn(5n), accountClosed('x')])).toMatchObject({
    status: 'closed',
    balance: 0n,
    txCount: 2,
  }));

test('money events before an opening are ignored, not applied to nothing', () =>
  expect(fold([moneyDeposited(5n)])).toEqual(initialAccount));

test('amounts beyond 2^53 stay exact', () =>
  expect(fold([accountOpened(), moneyDeposited(9_007_199_254_740_993n), moneyWithdrawn(1n)])).toMatchObject({
    balance: 9_007_199_254_740_992n,
  }));
