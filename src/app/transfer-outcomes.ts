import type { StoredTransferEvent } from './transfer-store.js';

/**
 * What a process learns of transfer streams as they are written (issue 15),
 * so a waiting GetTransfer is woken by its transfer's next event instead of
 * polling, and often answered without reading the stream at all.
 * Implemented in src/eventstore over one subscription per process. A notice
 * may be missed (a reconnect), so waiters still read the stream when a wait
 * ends without one.
 */
export interface TransferOutcomes {
  /** Resolves at the next event of the transfer's stream; `cancel` forgets the waiter. */
  watch(transferId: string): { readonly next: Promise<void>; cancel(): void };
  /**
   * The transfer stream's events as seen live, when every one of them was
   * seen from its first (revision 0) on without a gap; else undefined. Events
   * after the last one may be missing (not yet seen, or lost to a reconnect).
   */
  seen(transferId: string): readonly StoredTransferEvent[] | undefined;
  /** True while the feed is connected and live: waiters may then read rarely. */
  live(): boolean;
}
