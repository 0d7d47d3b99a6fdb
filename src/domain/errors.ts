/**
 * Domain and command errors, grouped by kind so the transport maps them with
 * one lookup (src/grpc/error-status.ts). Every error says *why* the command
 * changed nothing; none of them leaves an event behind.
 */
export type ErrorKind =
  | 'invalid' // the request itself is wrong: INVALID_ARGUMENT, field named
  | 'not_found'
  | 'already_exists'
  | 'precondition' // the account's state forbids it: FAILED_PRECONDITION
  | 'out_of_range'
  | 'conflict' // optimistic concurrency: ABORTED with the actual revision
  | 'unavailable' // infrastructure
  | 'deadline'
  | 'unauthenticated' // no or bad credentials: UNAUTHENTICATED (issue 13)
  | 'permission_denied'; // an authenticated caller acting on what it does not own: PERMISSION_DENIED

export type FieldViolation = { readonly field: string; readonly description: string };

/** Base of every error the service reports on purpose. `reason` is the ErrorInfo reason. */
export abstract class LedgerError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly reason: string;
  /** Extra key/values for google.rpc.ErrorInfo.metadata. */
  readonly details: Readonly<Record<string, string>> = {};
}

/** The request breaks a rule checkable without state (missing field, amount ≤ 0, bad id). */
export class InvalidCommand extends LedgerError {
  override readonly name = 'InvalidCommand';
  readonly kind = 'invalid';
  readonly reason = 'INVALID_ARGUMENT';
  constructor(readonly violations: readonly FieldViolation[]) {
    super(violations.map((v) => `${v.field}: ${v.description}`).join('; '));
  }
}

export class AccountNotFound extends LedgerError {
  override readonly name = 'AccountNotFound';
  readonly kind = 'not_found';
  readonly reason = 'ACCOUNT_NOT_FOUND';
  override readonly details: Record<string, string>;
  constructor(readonly accountId: string) {
    super(`account ${accountId} does not exist`);
    this.details = { account_id: accountId };
  }
}

export class AccountAlreadyExists extends LedgerError {
  override readonly name = 'AccountAlreadyExists';
  readonly kind = 'already_exists';
  readonly reason = 'ACCOUNT_ALREADY_EXISTS';
  override readonly details: Record<string, string>;
  constructor(readonly accountId: string) {
    super(`account ${accountId} already exists`);
    this.details = { account_id: accountId };
  }
}

export class AccountIsClosed extends LedgerError {
  override readonly name = 'AccountIsClosed';
  readonly kind = 'precondition';
  readonly reason = 'ACCOUNT_CLOSED';
  override readonly details: Record<string, string>;
  constructor(readonly accountId: string) {
    super(`account ${accountId} is closed`);
    this.details = { account_id: accountId };
  }
}

export class InsufficientFunds extends LedgerError {
  override readonly name = 'InsufficientFunds';
  readonly kind = 'precondition';
  readonly reason = 'INSUFFICIENT_FUNDS';
  override readonly details: Record<string, string>;
  constructor(readonly balance: bigint, readonly requested: bigint) {
    super(`balance ${balance} is less than the requested ${requested}`);
    this.details = { balance: balance.toString(), requested: requested.toString() };
  }
}

/** Closing needs a zero balance: money is never destroyed by closing an account. */
export class AccountNotEmpty extends LedgerError {
  override readonly name = 'AccountNotEmpty';
  readonly kind = 'precondition';
  readonly reason = 'ACCOUNT_NOT_EMPTY';
  override readonly details: Record<string, string>;
  constructor(readonly balance: bigint) {
    super(`balance is ${balance}; withdraw it before closing`);
    this.details = { balance: balance.toString() };
  }
}

export class CurrencyMismatch extends LedgerError {
  override readonly name = 'CurrencyMismatch';
  readonly kind = 'precondition';
  readonly reason = 'CURRENCY_MISMATCH';
  override readonly details: Record<string, string>;
  constructor(readonly accountCurrency: string, readonly given: string) {
    super(`account holds ${accountCurrency}, not ${given}`);
    this.details = { account_currency: accountCurrency, currency: given };
  }
}

/** The balance is an int64 on the wire; a deposit may not push it past that. */
export class BalanceLimitExceeded extends LedgerError {
  override readonly name = 'BalanceLimitExceeded';
  readonly kind = 'precondition';
  readonly reason = 'BALANCE_LIMIT_EXCEEDED';
  override readonly details: Record<string, string>;
  constructor(readonly balance: bigint, readonly amount: bigint) {
    super(`balance ${balance} + ${amount} exceeds the largest balance`);
    this.details = { balance: balance.toString(), requested: amount.toString() };
  }
}

/**
 * The stream is not at the revision the command was decided on: thrown for a
 * pinned expected_revision that does not match, or when re-deciding gave up.
 * `actualRevision` is -1 when the stream does not exist.
 */
export class RevisionConflict extends LedgerError {
  override readonly name = 'RevisionConflict';
  readonly kind = 'conflict';
  readonly reason = 'REVISION_CONFLICT';
  override readonly details: Record<string, string>;
  constructor(readonly expectedRevision: bigint, readonly actualRevision: bigint) {
    super(`expected revision ${expectedRevision}, stream is at ${actualRevision}`);
    this.details = { expected_revision: expectedRevision.toString(), actual_revision: actualRevision.toString() };
  }
}

/** A temporal query asked for a revision the stream has not reached. */
export class RevisionNotReached extends LedgerError {
  override readonly name = 'RevisionNotReached';
  readonly kind = 'out_of_range';
  readonly reason = 'REVISION_NOT_REACHED';
  override readonly details: Record<string, string>;
  constructor(readonly requested: bigint, readonly head: bigint) {
    super(`revision ${requested} is beyond the stream's last revision ${head}`);
    this.details = { requested_revision: requested.toString(), actual_revision: head.toString() };
  }
}

/** A reversal names an id that is no deposit or withdrawal of this account (issue 15). */
export class TransactionNotFound extends LedgerError {
  override readonly name = 'TransactionNotFound';
  readonly kind = 'not_found';
  readonly reason = 'TRANSACTION_NOT_FOUND';
  override readonly details: Record<string, string>;
  constructor(readonly accountId: string, readonly transactionId: string) {
    super(`account ${accountId} has no deposit or withdrawal ${transactionId}`);
    this.details = { account_id: accountId, transaction_id: transactionId };
  }
}

/** A transaction is reversed at most once: a second reversal would move its money twice. */
export class TransactionAlreadyReversed extends LedgerError {
  override readonly name = 'TransactionAlreadyReversed';
  readonly kind = 'precondition';
  readonly reason = 'TRANSACTION_ALREADY_REVERSED';
  override readonly details: Record<string, string>;
  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} is already reversed`);
    this.details = { transaction_id: transactionId };
  }
}

/** GetTransfer names a transfer Ledger has no record of (issue 15). */
export class TransferNotFound extends LedgerError {
  override readonly name = 'TransferNotFound';
  readonly kind = 'not_found';
  readonly reason = 'TRANSFER_NOT_FOUND';
  override readonly details: Record<string, string>;
  constructor(readonly transferId: string) {
    super(`transfer ${transferId} does not exist`);
    this.details = { transfer_id: transferId };
  }
}
