import { describe, expect, test } from 'vitest';
import {
  AccountIsClosed,
  AccountNotFound,
  BalanceLimitExceeded,
  InsufficientFunds,
  MAX_MINOR_UNITS,
  TransactionAlreadyReversed,
  TransactionNotFound,
  decodeEvent,
  encodeEventData,
  fold,
  type AccountCommand,
  type AccountEvent,
  type PostedTransaction,
} from '../../src/domain/index.js';
import { ACCOUNT, accountClosed, accountOpened, given, moneyDeposited, moneyWithdrawn } from './given.js';

const TX = '3f1c9a52-7d0e-4b8a-9c61-5e2f4a7b8d90';
const posted = (type: PostedTransaction['type'], amount: bigint, eventId = TX): PostedTransaction => ({ eventId, type, amount });
const reverse = (original: PostedTransaction | undefined, reason?: string): AccountCommand => ({
  type: 'ReverseTransaction',
  data: { accountId: ACCOUNT, transactionId: TX, original, ...(reason === undefined ? {} : { reason }) },
});
const depositReversed = (amount: bigint, reason?: string): AccountEvent => ({
  type: 'DepositReversed',
  data: { transactionId: TX, amount, ...(reason === undefined ? {} : { reason }) },
});
const withdrawalReversed = (amount: bigint): AccountEvent => ({ type: 'WithdrawalReversed', data: { transactionId: TX, amount } });

describe('ReverseTransaction', () => {
  test('a deposit is reversed by DepositReversed naming it, with its amount and the reason', () =>
    given(accountOpened(), moneyDeposited(500n))
      .when(reverse(posted('MoneyDeposited', 500n), 'sent by mistake'))
      .then(depositReversed(500n, 'sent by mistake')));

  test('a withdrawal is reversed by WithdrawalReversed', () =>
    given(accountOpened(), moneyDeposited(500n), moneyWithdrawn(200n))
      .when(reverse(posted('MoneyWithdrawn', 200n)))
      .then(withdrawalReversed(200n)));

  test('an id that is no deposit or withdrawal of this account is refused', () =>
    given(accountOpened(), moneyDeposited(500n)).when(reverse(undefined)).thenFailsWith(TransactionNotFound, 'TRANSACTION_NOT_FOUND'));

  test('an original found under another id than the one named is refused', () =>
    given(accountOpened(), moneyDeposited(500n))
      .when(reverse(posted('MoneyDeposited', 500n, '00000000-0000-4000-8000-000000000001')))
      .thenFailsWith(TransactionNotFound));

  test('a transaction already reversed is refused', () =>
    given(accountOpened(), moneyDeposited(500n), depositReversed(500n))
      .when(reverse(posted('MoneyDeposited', 500n)))
      .thenFailsWith(TransactionAlreadyReversed, 'TRANSACTION_ALREADY_REVERSED'));

  test('a withdrawal already reversed is refused too', () =>
    given(accountOpened(), moneyDeposited(500n), moneyWithdrawn(100n), withdrawalReversed(100n))
      .when(reverse(posted('MoneyWithdrawn', 100n)))
      .thenFailsWith(TransactionAlreadyReversed));

  test('a closed account takes no reversal', () =>
    given(accountOpened(), moneyDeposited(500n), moneyWithdrawn(500n), accountClosed())
      .when(reverse(posted('MoneyDeposited', 500n)))
      .thenFailsWith(AccountIsClosed, 'ACCOUNT_CLOSED'));

  test('an account that does not exist is not found', () =>
    given().when(reverse(posted('MoneyDeposited', 500n))).thenFailsWith(AccountNotFound));

  test('reversing a deposit whose money was already withdrawn would go below zero: refused', () =>
    given(accountOpened(), moneyDeposited(500n), moneyWithdrawn(300n))
      .when(reverse(posted('MoneyDeposited', 500n)))
      .thenFailsWith(InsufficientFunds, 'INSUFFICIENT_FUNDS'));

  test('reversing a deposit down to exactly zero is allowed', () =>
    given(accountOpened(), moneyDeposited(500n)).when(reverse(posted('MoneyDeposited', 500n))).then(depositReversed(500n)));

  test('reversing a withdrawal may not push the balance past the largest balance', () =>
    given(accountOpened(), moneyDeposited(MAX_MINOR_UNITS), moneyWithdrawn(10n), moneyDeposited(10n))
      .when(reverse(posted('MoneyWithdrawn', 10n)))
      .thenFailsWith(BalanceLimitExceeded));
});

describe('evolve with reversals', () => {
  test('a reversal moves the money back, counts as a transaction and marks the original reversed', () => {
    const state = fold([accountOpened(), moneyDeposited(500n), moneyWithdrawn(200n), withdrawalReversed(200n)]);
    expect(state).toMatchObject({ balance: 500n, txCount: 3 });
    expect(state.status === 'open' && state.reversed.has(TX)).toBe(true);
    expect(fold([accountOpened(), moneyDeposited(500n), depositReversed(500n)])).toMatchObject({ balance: 0n, txCount: 2 });
  });
});

describe('reversal event JSON', () => {
  test.each([depositReversed(500n, 'why'), withdrawalReversed(7n)])('$type round-trips through the codec', (event) => {
    const json = encodeEventData(event);
    expect(json).toMatchObject({ transaction_id: TX, amount: event.type === 'DepositReversed' ? '500' : '7' });
    expect(decodeEvent(event.type, json)).toEqual(event);
  });
  test('a reversal without the id of its original is malformed', () =>
    expect(() => decodeEvent('DepositReversed', { amount: '5' })).toThrow(/transaction_id/));
});
