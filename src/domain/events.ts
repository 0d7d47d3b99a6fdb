/**
 * Account events: past tense, immutable, versioned. Stream: `account-<uuid>`.
 * Money is a bigint count of minor units; on the wire (event JSON) it is a
 * decimal string, so no reader ever sees a float.
 */

export type Currency = string; // ISO 4217, three upper-case letters

export type AccountOpened = {
  readonly type: 'AccountOpened';
  readonly data: { readonly accountId: string; readonly ownerId: string; readonly currency: Currency };
};
export type MoneyDeposited = {
  readonly type: 'MoneyDeposited';
  readonly data: { readonly amount: bigint };
};
export type MoneyWithdrawn = {
  readonly type: 'MoneyWithdrawn';
  readonly data: { readonly amount: bigint };
};
export type AccountClosed = {
  readonly type: 'AccountClosed';
  readonly data: { readonly reason?: string };
};

/**
 * Compensating events (issue 15): a posted deposit or withdrawal is never
 * deleted; its reversal moves the same amount back and names the original
 * by its event id (`transactionId`).
 */
export type DepositReversed = {
  readonly type: 'DepositReversed';
  readonly data: { readonly transactionId: string; readonly amount: bigint; readonly reason?: string };
};
export type WithdrawalReversed = {
  readonly type: 'WithdrawalReversed';
  readonly data: { readonly transactionId: string; readonly amount: bigint; readonly reason?: string };
};

/**
 * Transfer legs (issue 15). The source records the debit (the money is then
 * in flight), the destination the credit, and a refused credit is
 * compensated on the source; each names the transfer.
 */
export type TransferDebited = {
  readonly type: 'TransferDebited';
  readonly data: { readonly transferId: string; readonly toAccountId: string; readonly amount: bigint; readonly currency: Currency };
};
export type TransferCredited = {
  readonly type: 'TransferCredited';
  readonly data: { readonly transferId: string; readonly fromAccountId: string; readonly amount: bigint };
};
/**
 * The destination's refusal of a transfer's credit (missing, closed, other
 * currency, balance limit), recorded in the destination stream itself, even
 * when that stream does not exist yet: credit and refusal are the two
 * outcomes of one command (one command id per transfer), so the stream holds
 * exactly one of them and a later attempt answers with it (issue 15).
 */
export type TransferCreditRefused = {
  readonly type: 'TransferCreditRefused';
  readonly data: { readonly transferId: string; readonly fromAccountId: string; readonly amount: bigint; readonly reason: string };
};
/** The transfer was credited to its destination: the source's money is no longer in flight. */
export type TransferDebitSettled = {
  readonly type: 'TransferDebitSettled';
  readonly data: { readonly transferId: string; readonly amount: bigint };
};
export type TransferDebitReversed = {
  readonly type: 'TransferDebitReversed';
  readonly data: { readonly transferId: string; readonly amount: bigint; readonly reason: string };
};

export type AccountEvent =
  | AccountOpened
  | MoneyDeposited
  | MoneyWithdrawn
  | AccountClosed
  | DepositReversed
  | WithdrawalReversed
  | TransferDebited
  | TransferCredited
  | TransferCreditRefused
  | TransferDebitSettled
  | TransferDebitReversed;
export type AccountEventType = AccountEvent['type'];

export const accountEventTypes: readonly AccountEventType[] = [
  'AccountOpened',
  'MoneyDeposited',
  'MoneyWithdrawn',
  'AccountClosed',
  'DepositReversed',
  'WithdrawalReversed',
  'TransferDebited',
  'TransferCredited',
  'TransferCreditRefused',
  'TransferDebitSettled',
  'TransferDebitReversed',
];

/**
 * Events that move money: they count in tx_count and set last_tx_at, in the
 * write model, snapshots, as-of answers and the read model alike.
 */
export const movesMoney = (type: AccountEventType): boolean =>
  type !== 'AccountOpened' && type !== 'AccountClosed' && type !== 'TransferCreditRefused' && type !== 'TransferDebitSettled';

/** Version of the event JSON schema written in metadata.schema_version. */
export const EVENT_SCHEMA_VERSION = 1;

export const ACCOUNT_STREAM_PREFIX = 'account-';
export const accountStream = (accountId: string): string => `${ACCOUNT_STREAM_PREFIX}${accountId}`;

/**
 * Event JSON as stored (snake_case, amounts as decimal strings):
 *   AccountOpened  {"account_id":"…","owner_id":"…","currency":"EUR"}
 *   MoneyDeposited {"amount":"1500"}
 *   MoneyWithdrawn {"amount":"200"}
 *   AccountClosed  {"reason":"…"}            (reason optional)
 *   DepositReversed / WithdrawalReversed
 *                  {"transaction_id":"<event id of the original>","amount":"1500","reason":"…"}
 *                                           (reason optional; amount = the original's)
 *   TransferDebited       {"transfer_id":"…","to_account_id":"…","amount":"100","currency":"EUR"}
 *   TransferCredited      {"transfer_id":"…","from_account_id":"…","amount":"100"}
 *   TransferCreditRefused {"transfer_id":"…","from_account_id":"…","amount":"100","reason":"…"}
 *   TransferDebitSettled  {"transfer_id":"…","amount":"100"}
 *   TransferDebitReversed {"transfer_id":"…","amount":"100","reason":"…"}
 * Metadata JSON:
 *   {"occurred_at":"2026-01-15T10:00:00.000Z","command_id":"<uuid>",
 *    "correlation_id":"<id>","causation_id":"<id>","schema_version":1,
 *    "command_type":"Deposit","command_fingerprint":"<22 base64url chars>"}
 * command_type and command_fingerprint (issue 12) identify what the
 * command_id was used for; events written before them lack both.
 * actor and auth_method (issue 13) say who asked and how that caller was
 * authenticated ("jwt", "mtls", or "none" under AUTH_MODE=none, where the
 * actor is "anonymous"); events written before them lack both.
 */
export type EventMetadata = {
  readonly occurredAt: string;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly schemaVersion: number;
  /** The command type that wrote the event (absent on older events). */
  readonly commandType?: string;
  /** Digest of the command's type and effect fields (src/app/command-fingerprint.ts; absent on older events). */
  readonly commandFingerprint?: string;
  /** The authenticated principal that sent the command (absent on older events). */
  readonly actor?: string;
  /** How the actor was authenticated: jwt, mtls or none (absent on older events). */
  readonly authMethod?: string;
};
