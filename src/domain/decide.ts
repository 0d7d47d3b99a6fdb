import type { Account } from './account.js';
import type { AccountCommand, CloseAccount, CreditTransfer, Deposit, OpenAccount, RefundTransfer, ReverseTransaction, SettleTransferDebit, TransferMoney, Withdraw } from './commands.js';
import {
  AccountAlreadyExists,
  AccountIsClosed,
  AccountNotEmpty,
  AccountNotFound,
  BalanceLimitExceeded,
  CurrencyMismatch,
  InsufficientFunds,
  InvalidCommand,
  LedgerError,
  TransactionAlreadyReversed,
  TransactionNotFound,
} from './errors.js';
import type { AccountEvent } from './events.js';
import { CURRENCY_RULE, MAX_MINOR_UNITS, isCurrency } from './money.js';

/**
 * The rules. Pure: the same command on the same state always gives the same
 * events or the same error, and an error means nothing is appended.
 */
export function decide(command: AccountCommand, account: Account): AccountEvent[] {
  switch (command.type) {
    case 'OpenAccount':
      return openAccount(command, account);
    case 'Deposit':
      return deposit(command, account);
    case 'Withdraw':
      return withdraw(command, account);
    case 'CloseAccount':
      return closeAccount(command, account);
    case 'ReverseTransaction':
      return reverseTransaction(command, account);
    case 'TransferMoney':
      return transferMoney(command, account);
    case 'CreditTransfer':
      return creditTransfer(command, account);
    case 'RefundTransfer':
      return refundTransfer(command, account);
    case 'SettleTransferDebit':
      return settleTransferDebit(command, account);
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

function openAccount(cmd: OpenAccount, account: Account): AccountEvent[] {
  if (!isCurrency(cmd.data.currency))
    throw new InvalidCommand([{ field: 'currency', description: CURRENCY_RULE }]);
  if (account.status !== 'none') throw new AccountAlreadyExists(cmd.data.accountId);
  return [{ type: 'AccountOpened', data: { ...cmd.data } }];
}

function deposit(cmd: Deposit, account: Account): AccountEvent[] {
  const open = openAccountFor(cmd, account);
  if (open.balance + cmd.data.amount > MAX_MINOR_UNITS) throw new BalanceLimitExceeded(open.balance, cmd.data.amount);
  return [{ type: 'MoneyDeposited', data: { amount: cmd.data.amount } }];
}

function withdraw(cmd: Withdraw, account: Account): AccountEvent[] {
  const open = openAccountFor(cmd, account);
  if (open.balance < cmd.data.amount) throw new InsufficientFunds(open.balance, cmd.data.amount);
  return [{ type: 'MoneyWithdrawn', data: { amount: cmd.data.amount } }];
}

function closeAccount(cmd: CloseAccount, account: Account): AccountEvent[] {
  if (account.status === 'none') throw new AccountNotFound(cmd.data.accountId);
  if (account.status === 'closed') throw new AccountIsClosed(cmd.data.accountId);
  // Rule chosen: closing needs a zero balance, so no money vanishes with the account.
  if (account.balance !== 0n) throw new AccountNotEmpty(account.balance);
  return [{ type: 'AccountClosed', data: cmd.data.reason ? { reason: cmd.data.reason } : {} }];
}

/**
 * A compensating event for a posted deposit or withdrawal (issue 15): the
 * original stays; the reversal moves its amount back, at most once, never
 * on a closed account and never below zero.
 */
function reverseTransaction(cmd: ReverseTransaction, account: Account): AccountEvent[] {
  const { accountId, transactionId, original, reason } = cmd.data;
  if (account.status === 'none') throw new AccountNotFound(accountId);
  if (account.status === 'closed') throw new AccountIsClosed(accountId);
  if (original === undefined || original.eventId !== transactionId) throw new TransactionNotFound(accountId, transactionId);
  if (account.reversed.has(transactionId)) throw new TransactionAlreadyReversed(transactionId);
  const data = { transactionId, amount: original.amount, ...(reason ? { reason } : {}) };
  if (original.type === 'MoneyDeposited') {
    if (account.balance < original.amount) throw new InsufficientFunds(account.balance, original.amount);
    return [{ type: 'DepositReversed', data }];
  }
  if (account.balance + original.amount > MAX_MINOR_UNITS) throw new BalanceLimitExceeded(account.balance, original.amount);
  return [{ type: 'WithdrawalReversed', data }];
}

/** The debit: a withdrawal's checks, plus not to itself. */
function transferMoney(cmd: TransferMoney, account: Account): AccountEvent[] {
  const { accountId, toAccountId, transferId, amount, currency } = cmd.data;
  if (toAccountId === accountId) throw new InvalidCommand([{ field: 'to_account_id', description: 'must differ from from_account_id' }]);
  const open = openAccountFor(cmd, account);
  if (open.balance < amount) throw new InsufficientFunds(open.balance, amount);
  return [{ type: 'TransferDebited', data: { transferId, toAccountId, amount, currency } }];
}

/**
 * The credit: the destination must exist, be open, hold the currency and
 * stay within the largest balance. A refusal is not an error but the other
 * outcome, recorded as TransferCreditRefused (even on a stream that does not
 * exist yet): the one command of a transfer on its destination then always
 * answers with its first outcome, whatever the account became since.
 */
function creditTransfer(cmd: CreditTransfer, account: Account): AccountEvent[] {
  const { transferId, fromAccountId, amount } = cmd.data;
  try {
    const open = openAccountFor(cmd, account);
    if (open.balance + amount > MAX_MINOR_UNITS) throw new BalanceLimitExceeded(open.balance, amount);
  } catch (e) {
    if (!(e instanceof LedgerError) || e.kind === 'invalid') throw e;
    return [{ type: 'TransferCreditRefused', data: { transferId, fromAccountId, amount, reason: `${e.reason}: ${e.message}` } }];
  }
  return [{ type: 'TransferCredited', data: { transferId, fromAccountId, amount } }];
}

/**
 * The compensation: the in-flight money goes back to its source whatever
 * the source's state (closed since, or near the largest balance). Refusing
 * it would destroy money that is no longer anywhere else.
 */
function refundTransfer(cmd: RefundTransfer, account: Account): AccountEvent[] {
  if (account.status === 'none') throw new AccountNotFound(cmd.data.accountId);
  return [{ type: 'TransferDebitReversed', data: { transferId: cmd.data.transferId, amount: cmd.data.amount, reason: cmd.data.reason } }];
}

/** A fact about the transfer, recorded on the source whatever its state since (closed included). */
function settleTransferDebit(cmd: SettleTransferDebit, account: Account): AccountEvent[] {
  if (account.status === 'none') throw new AccountNotFound(cmd.data.accountId);
  return [{ type: 'TransferDebitSettled', data: { transferId: cmd.data.transferId, amount: cmd.data.amount } }];
}

type OpenState = Extract<Account, { status: 'open' | 'closed' }>;

/** The checks every money command shares, in the order a client can fix them. */
function openAccountFor(cmd: Deposit | Withdraw | TransferMoney | CreditTransfer, account: Account): OpenState {
  if (cmd.data.amount <= 0n) throw new InvalidCommand([{ field: 'amount', description: 'must be greater than zero' }]);
  if (cmd.data.amount > MAX_MINOR_UNITS) throw new InvalidCommand([{ field: 'amount', description: 'exceeds int64' }]);
  if (account.status === 'none') throw new AccountNotFound(cmd.data.accountId);
  if (account.status === 'closed') throw new AccountIsClosed(cmd.data.accountId);
  if (account.currency !== cmd.data.currency) throw new CurrencyMismatch(account.currency, cmd.data.currency);
  return account;
}
