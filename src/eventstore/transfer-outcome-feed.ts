import { END, streamNameFilter, type AllStreamSubscription, type EventStoreDBClient } from '@eventstore/db-client';
import { TRANSFER_STREAM_PREFIX, plainEventDecoder, type EventDecoder } from '../domain/index.js';
import type { StoredTransferEvent } from '../app/transfer-store.js';
import type { TransferOutcomes } from '../app/transfer-outcomes.js';
import { storedTransferEventOf } from './transfer-event-store.js';

/** After a dropped subscription: back-off before reopening it, doubling up to the cap. */
const REOPEN_MS = 100;
const MAX_REOPEN_MS = 5_000;
/** Transfer streams remembered (the most recently written); a transfer streams's events are two. */
const MAX_REMEMBERED = 20_000;

/**
 * One catch-up subscription to `$all` from its end, filtered on the
 * `transfer-` prefix by the server, shared by every waiting GetTransfer of
 * this process. Not one per call: opening and cancelling a subscription per
 * waiting call, hundreds a second, made the event store's HTTP/2 server close
 * the whole session (rapid-reset protection, bench/RESULTS.md). Opened at the
 * first watch, kept open until close(). Events are decoded by the shared
 * pipeline, as the transfer stream's reader decodes them.
 */
export class TransferOutcomeFeed implements TransferOutcomes {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Streams seen from revision 0 without a gap, oldest written first. */
  private readonly streams = new Map<string, StoredTransferEvent[]>();
  private subscription: AllStreamSubscription | undefined;
  private isLive = false;
  private closed = false;
  private reopenMs = REOPEN_MS;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly decoder: EventDecoder = plainEventDecoder,
  ) {}

  watch(transferId: string): { next: Promise<void>; cancel(): void } {
    if (this.subscription === undefined && !this.closed) this.open();
    let wake!: () => void;
    const next = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(transferId) ?? new Set();
    set.add(wake);
    this.waiters.set(transferId, set);
    return {
      next,
      cancel: () => {
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(transferId) === set) this.waiters.delete(transferId);
      },
    };
  }

  seen(transferId: string): readonly StoredTransferEvent[] | undefined {
    return this.streams.get(transferId);
  }

  live(): boolean {
    return this.isLive;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.isLive = false;
    const sub = this.subscription;
    this.subscription = undefined;
    await sub?.unsubscribe().catch(() => {});
  }

  private open(): void {
    const sub = this.client.subscribeToAll({ fromPosition: END, filter: streamNameFilter({ prefixes: [TRANSFER_STREAM_PREFIX] }) });
    this.subscription = sub;
    // Live once the server confirmed: an event appended after that reaches us.
    sub.on('confirmation', () => {
      this.isLive = true;
      this.reopenMs = REOPEN_MS;
    });
    sub.on('data', (resolved) => {
      const e = resolved.event;
      if (e === undefined || !e.streamId.startsWith(TRANSFER_STREAM_PREFIX)) return;
      const transferId = e.streamId.slice(TRANSFER_STREAM_PREFIX.length);
      this.remember(transferId, e);
      const set = this.waiters.get(transferId);
      if (set === undefined) return;
      this.waiters.delete(transferId);
      for (const wake of set) wake();
    });
    const dropped = () => {
      if (this.subscription !== sub) return;
      this.isLive = false;
      this.subscription = undefined;
      // Events written while disconnected are not seen: what is remembered may miss an outcome.
      this.streams.clear();
      if (this.closed) return;
      const wait = this.reopenMs;
      this.reopenMs = Math.min(this.reopenMs * 2, MAX_REOPEN_MS);
      setTimeout(() => {
        if (!this.closed && this.subscription === undefined && this.waiters.size > 0) this.open();
      }, wait).unref();
    };
    sub.on('error', dropped);
    sub.on('end', dropped);
  }

  private remember(transferId: string, e: Parameters<typeof storedTransferEventOf>[0]): void {
    let stored: StoredTransferEvent | undefined;
    try {
      stored = storedTransferEventOf(e, this.decoder);
    } catch {
      stored = undefined; // undecodable: readers meet it in the stream itself
    }
    const known = this.streams.get(transferId);
    this.streams.delete(transferId);
    if (stored === undefined) return;
    if (stored.revision === 0n) this.streams.set(transferId, [stored]);
    else if (known !== undefined && known.at(-1)?.revision === stored.revision - 1n) this.streams.set(transferId, [...known, stored]);
    if (this.streams.size > MAX_REMEMBERED) {
      const oldest = this.streams.keys().next();
      if (!oldest.done) this.streams.delete(oldest.value);
    }
  }
}
