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
