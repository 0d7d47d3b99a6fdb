import { describe, expect, test } from 'vitest';
import {
  AccountAlreadyExists,
  AccountIsClosed,
  AccountNotEmpty,
  AccountNotFound,
  BalanceLimitExceeded,
  CurrencyMismatch,
  InsufficientFunds,
  InvalidCommand,
  MAX_MINOR_UNITS,
} from '../../src/domain/index.js';
import {
  accountClosed,
  accountOpened,
  closeAccount,
  deposit,
  given,
  moneyDeposited,
  moneyWithdrawn,
  openAccount,
  withdraw,
} from './given.js';

describe('OpenAccount', () => {
  test('a new account is opened', () => given().when(openAccount('EUR')).then(accountOpened('EUR')));
  test('an account cannot be opened twice', () =>
    given(accountOpened()).when(openAccount()).thenFailsWith(AccountAlreadyExists, 'ACCOUNT_ALREADY_EXISTS'));
  test('a closed account cannot be opened again', () =>
    given(accountOpened(), accountClosed()).when(openAccount()).thenFailsWith(AccountAlreadyExists));
  test('the currency must be an ISO 4217 code', () => {
    const e = given().when(openAccount('eur')).thenFailsWith(InvalidCommand);
    expect((e as InvalidCommand).violations[0]?.field).toBe('currency');
  });
  // Issue 12: three upper-case letters are not enough.
  test.each(['XYZ', 'ABC', 'XXX', 'XTS', 'XAU'])('%s, three letters but no currency in use, is refused', (code) => {
    const e = given().when(openAccount(code)).thenFailsWith(InvalidCommand);
    expect((e as InvalidCommand).violations[0]?.field).toBe('currency');
  });
  test.each(['EUR', 'USD', 'JPY', 'KWD', 'CHF'])('%s opens an account', (code) =>
    given().when(openAccount(code)).then(accountOpened(code)));
});

describe('Deposit', () => {
  test('money is deposited into an open account', () =>
    given(accountOpened()).when(deposit(150n)).then(moneyDeposited(150n)));
  test('a deposit into an unknown account is refused', () =>
    given().when(deposit(10n)).thenFailsWith(AccountNotFound, 'ACCOUNT_NOT_FOUND'));
  test('a deposit into a closed account is refused', () =>
    given(accountOpened(), accountClosed()).when(deposit(10n)).thenFailsWith(AccountIsClosed, 'ACCOUNT_CLOSED'));
  test('a deposit in another currency is refused', () =>
    given(accountOpened('EUR')).when(deposit(10n, 'USD')).thenFailsWith(CurrencyMismatch, 'CURRENCY_MISMATCH'));
  test.each([0n, -5n])('an amount of %s is refused', (amount) => {
    const e = given(accountOpened()).when(deposit(amount)).thenFailsWith(InvalidCommand);
    expect((e as InvalidCommand).violations).toEqual([{ field: 'amount', description: 'must be greater than zero' }]);
  });
  test('a deposit may not push the balance beyond int64', () =>
    given(accountOpened(), moneyDeposited(MAX_MINOR_UNITS - 5n))
      .when(deposit(6n))
      .thenFailsWith(BalanceLimitExceeded, 'BALANCE_LIMIT_EXCEEDED'));
  test('a deposit up to exactly the int64 limit is accepted', () =>
    given(accountOpened(), moneyDeposited(MAX_MINOR_UNITS - 5n)).when(deposit(5n)).then(moneyDeposited(5n)));
});

describe('Withdraw', () => {
  test('money is withdrawn when the balance covers it', () =>
    given(accountOpened(), moneyDeposited(100n)).when(withdraw(100n)).then(moneyWithdrawn(100n)));
  test('a withdrawal larger than the balance is refused', () => {
    const e = given(accountOpened(), moneyDeposited(100n), moneyWithdrawn(30n))
      .when(withdraw(71n))
      .thenFailsWith(InsufficientFunds, 'INSUFFICIENT_FUNDS');
    expect((e as InsufficientFunds).balance).toBe(70n);
  });
  test('a withdrawal from an empty account is refused', () =>
    given(accountOpened()).when(withdraw(1n)).thenFailsWith(InsufficientFunds));
  test('a withdrawal from an unknown account is refused', () =>
    given().when(withdraw(1n)).thenFailsWith(AccountNotFound));
  test('a withdrawal from a closed account is refused', () =>
    given(accountOpened(), accountClosed()).when(withdraw(1n)).thenFailsWith(AccountIsClosed));
  test('a withdrawal in another currency is refused', () =>
    given(accountOpened('EUR'), moneyDeposited(100n)).when(withdraw(10n, 'GBP')).thenFailsWith(CurrencyMismatch));
  test.each([0n, -1n])('an amount of %s is refused', (amount) => {
    given(accountOpened(), moneyDeposited(100n)).when(withdraw(amount)).thenFailsWith(InvalidCommand);
  });
});

describe('CloseAccount', () => {
  test('an empty open account is closed, with its reason', () =>
    given(accountOpened(), moneyDeposited(10n), moneyWithdrawn(10n))
      .when(closeAccount('moving abroad'))
      .then(accountClosed('moving abroad')));
  test('closing without a reason records none', () => given(accountOpened()).when(closeAccount()).then(accountClosed()));
  test('an account holding money cannot be closed', () => {
    const e = given(accountOpened(), moneyDeposited(1n)).when(closeAccount()).thenFailsWith(AccountNotEmpty, 'ACCOUNT_NOT_EMPTY');
    expect((e as AccountNotEmpty).balance).toBe(1n);
  });
  test('an unknown account cannot be closed', () => given().when(closeAccount()).thenFailsWith(AccountNotFound));
  test('a closed account cannot be closed again', () =>
    given(accountOpened(), accountClosed()).when(closeAccount()).thenFailsWith(AccountIsClosed));
});
