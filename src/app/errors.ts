import { LedgerError } from '../domain/index.js';

/** The event store did not answer (down, unreachable, refused). Retrying later may work. */
export class StoreUnavailable extends LedgerError {
  override readonly name = 'StoreUnavailable';
  readonly kind = 'unavailable';
  readonly reason = 'STORE_UNAVAILABLE';
  constructor(detail: string) {
    super(`event store unavailable: ${detail}`);
  }
}

/** The caller's deadline passed before the command could be decided and appended. */
export class DeadlineExceeded extends LedgerError {
  override readonly name = 'DeadlineExceeded';
  readonly kind = 'deadline';
  readonly reason = 'DEADLINE_EXCEEDED';
  constructor() {
    super('deadline exceeded before the command completed');
  }
}

/**
 * A command_id (the idempotency key) already used in this account's stream
 * for a different command: answering the first command's result would make
 * the client believe its new command happened. Nothing is appended; the
 * client needs a new command_id.
 */
export class IdempotencyKeyReused extends LedgerError {
  override readonly name = 'IdempotencyKeyReused';
  readonly kind = 'precondition';
  readonly reason = 'IDEMPOTENCY_KEY_REUSED';
  override readonly details: Record<string, string>;
  constructor(readonly commandId: string, readonly originalCommandType: string, readonly commandType: string) {
    super(
      originalCommandType === commandType
        ? `command_id ${commandId} was already used for a ${originalCommandType} with different fields; send a new command_id`
        : `command_id ${commandId} was already used for a ${originalCommandType}, not a ${commandType}; send a new command_id`,
    );
    this.details = { command_id: commandId, original_command_type: originalCommandType, command_type: commandType };
  }
}

/**
 * An event of the account's stream does not decode even after the deployed
 * repairs (issue 14), so its state after that event is unknown: commands and
 * queries that need it are refused, naming the event, until a repair is
 * deployed (EVENT_REPAIRS, EVENT_REPAIRS_FILE). Queries of earlier revisions
 * still answer.
 */
export class AccountStreamDamaged extends LedgerError {
  override readonly name = 'AccountStreamDamaged';
  readonly kind = 'precondition';
  readonly reason = 'ACCOUNT_STREAM_DAMAGED';
  override readonly details: Record<string, string>;
  constructor(readonly accountId: string, readonly eventId: string, readonly revision: bigint, readonly problem: string) {
    super(`account ${accountId}: event ${eventId} at revision ${revision} cannot be read (${problem}); it needs a repair`);
    this.details = { account_id: accountId, event_id: eventId, revision: revision.toString(), problem };
  }
}
