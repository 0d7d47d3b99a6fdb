import type { AccountEvent, EventMetadata } from '../domain/index.js';

/**
 * What the app needs from an event store (implemented in src/eventstore).
 * Revisions are per stream from 0; -1n stands for "the stream does not exist".
 */
export interface AccountEventStore {
  /** Events from `fromRevision` (inclusive) to the end; [] when the stream does not exist. */
  readStream(stream: string, fromRevision: bigint): Promise<StoredEvent[]>;
  /**
   * The same events one at a time, so a fold of a long stream never holds it
   * whole (loads, the lookup of an older command); stopping early ends the read.
   */
  readEvents(stream: string, fromRevision: bigint): AsyncIterable<StoredEvent>;
  /**
   * Appends atomically iff the stream is at `expectedRevision` (-1n: must not
   * exist). Throws RevisionConflict (src/domain) with the actual revision otherwise.
   * Event ids derive from metadata.commandId, so repeating an append is harmless.
   */
  appendToStream(stream: string, events: readonly NewEvent[], expectedRevision: bigint): Promise<Appended>;
}

export type StoredEvent = {
  /** undefined for an event type this domain does not know (written by someone else), or one that did not decode. */
  readonly event: AccountEvent | undefined;
  /**
   * Set when the decoding pipeline (upcasters, deployed repairs, validation)
   * refused the event: why. Folding past it is refused (AccountStreamDamaged).
   */
  readonly undecodable?: string;
  /** undefined when the event carries no Ledger metadata. */
  readonly metadata: EventMetadata | undefined;
  readonly eventId: string;
  readonly revision: bigint;
  /** Commit position in the log. */
  readonly position: bigint;
  /** When the store recorded it. */
  readonly created: Date;
};

export type NewEvent = { readonly event: AccountEvent; readonly metadata: EventMetadata };

export type Appended = { readonly revision: bigint; readonly position: bigint };
