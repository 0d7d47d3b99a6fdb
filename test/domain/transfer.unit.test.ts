import { describe, expect, test } from 'vitest';
import {
  AccountIsClosed,
  AccountNotFound,
  CurrencyMismatch,
  InsufficientFunds,
  InvalidCommand,
  MAX_MINOR_UNITS,
  fold,
  foldTransfer,
  type AccountCommand,
  type AccountEvent,
} from '../../src/domain/index.js';
import { ACCOUNT, accountClosed, accountOpened, given, moneyDeposited, moneyWithdrawn } from './given.js';

const OTHER = '9a0b7c2d-1e3f-4a5b-8c6d-7e8f9a0b1c2d';
const T = '5d2f0e1a-3b4c-4d5e-8f60-718293a4b5c6';
const transferMoney = (amount: bigint, to = OTHER, currency = 'EUR'): AccountCommand => ({
  type: 'TransferMoney',
  data: { accountId: ACCOUNT, transferId: T, toAccountId: to, amount, currency },
});
const creditTransfer = (amount: bigint, currency = 'EUR'): AccountCommand => ({
  type: 'CreditTransfer',
  data: { accountId: ACCOUNT, transferId: T, fromAccountId: OTHER, amount, currency },
});
const refundTransfer = (amount: bigint): AccountCommand => ({ type: 'RefundTransfer', data: { accountId: ACCOUNT, transferId: T, amount, reason: 'ACCOUNT_CLOSED' } });
const debited = (amount: bigint): AccountEvent => ({ type: 'TransferDebited', data: { transferId: T, toAccountId: OTHER, amount, currency: 'EUR' } });
const credited = (amount: bigint): AccountEvent => ({ type: 'TransferCredited', data: { transferId: T, fromAccountId: OTHER, amount } });
const debitReversed = (amount: bigint): AccountEvent => ({ type: 'TransferDebitReversed', data: { transferId: T, amount, reason: 'ACCOUNT_CLOSED' } });

describe('TransferMoney (the debit on the source)', () => {
  test('given enough money, the source records TransferDebited', () =>
    given(accountOpened(), moneyDeposited(500n)).when(transferMoney(200n)).then(debited(200n)));
  test('more than the balance is refused', () =>
    given(accountOpened(), moneyDeposited(100n)).when(transferMoney(200n)).thenFailsWith(InsufficientFunds));
  test('to itself is refused, naming to_account_id', () => {
    const e = given(accountOpened(), moneyDeposited(500n)).when(transferMoney(1n, ACCOUNT)).thenFailsWith(InvalidCommand);
    expect((e as InvalidCommand).violations[0]?.field).toBe('to_account_id');
  });
  test('another currency than the source holds is refused', () =>
    given(accountOpened('EUR'), moneyDeposited(500n)).when(transferMoney(1n, OTHER, 'USD')).thenFailsWith(CurrencyMismatch));
  test('a closed source is refused', () =>
    given(accountOpened(), accountClosed()).when(transferMoney(1n)).thenFailsWith(AccountIsClosed));
  test('a missing source is not found', () => given().when(transferMoney(1n)).thenFailsWith(AccountNotFound));
  test('an amount of zero is invalid', () => given(accountOpened()).when(transferMoney(0n)).thenFailsWith(InvalidCommand));
});

describe('CreditTransfer (the destination decides once: credited or refused)', () => {
  const refused = (reason: string): AccountEvent => ({
    type: 'TransferCreditRefused',
    data: { transferId: T, fromAccountId: OTHER, amount: 200n, reason: expect.stringMatching(new RegExp(`^${reason}: `)) as unknown as string },
  });
  test('an open destination in the currency is credited', () => given(accountOpened()).when(creditTransfer(200n)).then(credited(200n)));
  test('a missing destination records the refusal (in its stream-to-be)', () => given().when(creditTransfer(200n)).then(refused('ACCOUNT_NOT_FOUND')));
  test('a closed destination records the refusal', () => given(accountOpened(), accountClosed()).when(creditTransfer(200n)).then(refused('ACCOUNT_CLOSED')));
  test('a destination in another currency records the refusal', () =>
    given(accountOpened('CHF')).when(creditTransfer(200n, 'EUR')).then(refused('CURRENCY_MISMATCH')));
  test('a destination at the largest balance records the refusal', () =>
    given(accountOpened(), moneyDeposited(MAX_MINOR_UNITS)).when(creditTransfer(200n)).then(refused('BALANCE_LIMIT_EXCEEDED')));
  test('a refusal changes no balance and is no transaction; an account opened after it starts from zero', () => {
    const r: AccountEvent = { type: 'TransferCreditRefused', data: { transferId: T, fromAccountId: OTHER, amount: 5n, reason: 'x' } };
    expect(fold([r])).toEqual({ status: 'none' });
    expect(fold([r, accountOpened()])).toMatchObject({ status: 'open', balance: 0n, txCount: 0 });
    expect(fold([accountOpened(), moneyDeposited(3n), r])).toMatchObject({ balance: 3n, txCount: 1 });
  });
  test('an amount of zero is still invalid, not a refusal', () => given(accountOpened()).when(creditTransfer(0n)).thenFailsWith(InvalidCommand));
});

describe('SettleTransferDebit (the source learns its money arrived)', () => {
  const settle: AccountCommand = { type: 'SettleTransferDebit', data: { accountId: ACCOUNT, transferId: T, amount: 200n } };
  test('the source records TransferDebitSettled; its balance does not change', () => {
    given(accountOpened(), moneyDeposited(500n), debited(200n)).when(settle).then({ type: 'TransferDebitSettled', data: { transferId: T, amount: 200n } });
    expect(fold([accountOpened(), moneyDeposited(500n), debited(200n)])).toMatchObject({ balance: 300n, inFlightOut: 200n });
    expect(fold([accountOpened(), moneyDeposited(500n), debited(200n), { type: 'TransferDebitSettled', data: { transferId: T, amount: 200n } }])).toMatchObject({ balance: 300n, txCount: 2, inFlightOut: 0n });
  });
  test('even on a source closed since', () =>
    given(accountOpened(), moneyDeposited(200n), debited(200n), accountClosed()).when(settle).then({ type: 'TransferDebitSettled', data: { transferId: T, amount: 200n } }));
});

describe('RefundTransfer (the compensation)', () => {
  test('the money goes back to the source', () =>
    given(accountOpened(), moneyDeposited(500n), debited(200n)).when(refundTransfer(200n)).then(debitReversed(200n)));
  test('even to a source closed since: refusing would destroy the money', () =>
    given(accountOpened(), moneyDeposited(200n), debited(200n), accountClosed()).when(refundTransfer(200n)).then(debitReversed(200n)));
});

describe('evolve with transfer legs', () => {
  test('debit takes, credit and refund give, each counts as a transaction', () => {
    expect(fold([accountOpened(), moneyDeposited(500n), debited(200n)])).toMatchObject({ balance: 300n, txCount: 2 });
    expect(fold([accountOpened(), moneyDeposited(500n), debited(200n), debitReversed(200n)])).toMatchObject({ balance: 500n, txCount: 3, inFlightOut: 0n });
    expect(fold([accountOpened(), credited(70n), moneyWithdrawn(20n)])).toMatchObject({ balance: 50n, txCount: 2 });
  });
});

describe('the transfer stream', () => {
  const initiated = { type: 'TransferInitiated', data: { transferId: T, fromAccountId: ACCOUNT, toAccountId: OTHER, amount: 5n, currency: 'EUR' } } as const;
  test('initiated is pending; the first outcome wins', () => {
    expect(foldTransfer([initiated])).toMatchObject({ status: 'pending', amount: 5n });
    expect(foldTransfer([initiated, { type: 'TransferFailed', data: { transferId: T, reason: 'x' } }, { type: 'TransferCompleted', data: { transferId: T } }])).toMatchObject({ status: 'failed', failureReason: 'x' });
    expect(foldTransfer([])).toEqual({ status: 'none' });
  });
});
