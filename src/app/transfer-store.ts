import type { TransferEvent } from '../domain/index.js';

/** A transfer stream's event as the app reads it. */
export type StoredTransferEvent = {
  /** undefined for a type this domain does not know. */
  readonly event: TransferEvent | undefined;
  readonly revision: bigint;
  readonly occurredAt: Date;
};

/** The transfer streams (`transfer-<id>`, issue 15); implemented in src/eventstore. */
export interface TransferEventStore {
  /** [] when the transfer stream does not exist. Decoded through the shared pipeline. */
  read(transferId: string): Promise<StoredTransferEvent[]>;
  /**
   * Appends iff the stream is at `expectedRevision` (-1n: must not exist);
   * RevisionConflict otherwise. Event ids derive from the transfer id and
   * the event type, so a repeat of the same append is harmless.
   */
  append(transferId: string, events: readonly TransferEvent[], expectedRevision: bigint, occurredAt: string): Promise<void>;
}
