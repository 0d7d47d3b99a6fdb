import { LedgerError } from '../domain/errors.js';

/**
 * A query asked for at least `minRevision` of an account (read-your-writes)
 * and the read model had not applied it when the caller's deadline came.
 * Mapped to DEADLINE_EXCEEDED; retrying later, or GetAccountAsOf, answers.
 */
export class ReadModelBehind extends LedgerError {
  override readonly name = 'ReadModelBehind';
  readonly kind = 'deadline';
  readonly reason = 'READ_MODEL_BEHIND';
  override readonly details: Record<string, string>;
  constructor(accountId: string, minRevision: bigint, applied: bigint | undefined) {
    super(
      `the read model has not caught up with account ${accountId}: asked for revision ${minRevision}, ` +
        (applied === undefined ? 'the account is not projected yet' : `projected up to revision ${applied}`),
    );
    this.details = { account_id: accountId, min_revision: String(minRevision), projected_revision: applied === undefined ? '' : String(applied) };
  }
}
