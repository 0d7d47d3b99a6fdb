import type { Currency } from './events.js';

/**
 * Commands are imperative and carry everything decide needs; ids, clock and
 * idempotency keys stay outside (the app attaches them as event metadata).
 */
export type OpenAccount = {
  readonly type: 'OpenAccount';
  readonly data: { readonly accountId: string; readonly ownerId: string; readonly currency: Currency };
};
export type Deposit = {
  readonly type: 'Deposit';
  readonly data: { readonly accountId: string; readonly amount: bigint; readonly currency: Currency };
};
export type Withdraw = {
  readonly type: 'Withdraw';
  readonly data: { readonly accountId: string; readonly amount: bigint; readonly currency: Currency };
};
export type CloseAccount = {
  readonly type: 'CloseAccount';
  readonly data: { readonly accountId: string; readonly reason?: string };
};

/** A deposit or withdrawal already in the account's stream, as the app found it by event id. */
export type PostedTransaction = {
  readonly eventId: string;
  readonly type: 'MoneyDeposited' | 'MoneyWithdrawn';
  readonly amount: bigint;
};

/**
 * Reverses a posted deposit or withdrawal (issue 15). `original` is what the
 * app found under `transactionId` in this account's stream (undefined: no
 * deposit or withdrawal of this account has that id), so decide stays pure.
 */
export type ReverseTransaction = {
  readonly type: 'ReverseTransaction';
  readonly data: {
    readonly accountId: string;
    readonly transactionId: string;
    readonly reason?: string;
    readonly original: PostedTransaction | undefined;
  };
};

/** The first step of a transfer, on the source account (`accountId`): the debit. */
export type TransferMoney = {
  readonly type: 'TransferMoney';
  readonly data: {
    readonly accountId: string;
    readonly transferId: string;
    readonly toAccountId: string;
    readonly amount: bigint;
    readonly currency: Currency;
  };
};
/** The transfer process credits the destination (`accountId`). */
export type CreditTransfer = {
  readonly type: 'CreditTransfer';
  readonly data: { readonly accountId: string; readonly transferId: string; readonly fromAccountId: string; readonly amount: bigint; readonly currency: Currency };
};
/** The transfer process tells the source (`accountId`) its debit reached the destination. */
export type SettleTransferDebit = {
  readonly type: 'SettleTransferDebit';
  readonly data: { readonly accountId: string; readonly transferId: string; readonly amount: bigint };
};
/** The transfer process gives a refused transfer's money back to the source (`accountId`). */
export type RefundTransfer = {
  readonly type: 'RefundTransfer';
  readonly data: { readonly accountId: string; readonly transferId: string; readonly amount: bigint; readonly reason: string };
};

export type AccountCommand =
  | OpenAccount
  | Deposit
  | Withdraw
  | CloseAccount
  | ReverseTransaction
  | TransferMoney
  | CreditTransfer
  | SettleTransferDebit
  | RefundTransfer;
export type AccountCommandType = AccountCommand['type'];
