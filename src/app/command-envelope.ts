import type { AccountCommand } from '../domain/index.js';
import type { Principal } from './principal.js';

/** A command as the handler receives it: what to do, its idempotency key, and who asks. */
export type CommandEnvelope = {
  readonly command: AccountCommand;
  /** Client-chosen uuid, the idempotency key; event ids derive from it. */
  readonly commandId: string;
  /** Pinned: apply only at exactly this revision, else RevisionConflict (no re-decide). */
  readonly expectedRevision?: bigint;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Epoch milliseconds after which the caller no longer waits. */
  readonly deadline?: number;
  /** Who sent it (issue 13): recorded as the events' actor and auth_method. */
  readonly principal?: Principal;
};
