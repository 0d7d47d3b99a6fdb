import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import type { RecordedEvent, ResolvedEvent } from '../store/types.js';
import { DELETED_STREAM } from '../store/stream-metadata.js';
import type { ReadRequest } from './read-request.js';
import { streamDeleted } from './rpc-errors.js';
import { type ReadResponse, eventResponse } from './to-grpc.js';
import { ResponseFrames } from '../grpc-frames.js';

const PAGE = 512;
/** Live events buffered for a slow client before it is sent back to catch-up reads. */
const MAX_LIVE_BUFFER = 10_000;

/**
 * A catch-up subscription: reads history page by page, then switches to live
 * delivery in the same tick in which a read found the end of the log (the
 * store commits in its own ticks, so nothing can slip in between). A client
 * too slow for the live flow falls back to reading history.
 */
export class CatchUpSubscription {
  private mode: 'catching_up' | 'live' | 'closed' = 'catching_up';
  private live: RecordedEvent[] = [];
  private draining = false;
  /** Stream: last revision delivered; $all: last position examined. */
  private cursor: bigint | undefined;
  private sinceCheckpoint = 0;
  private readonly unlisten: () => void;
  private readonly out: ResponseFrames;

  constructor(
    private readonly store: StreamStore,
    private readonly req: ReadRequest,
    private readonly call: grpc.ServerWritableStream<unknown, ReadResponse>,
  ) {
    this.out = ResponseFrames.of(call);
    this.unlisten = store.onCommitted((records) => this.onCommitted(records));
    call.on('cancelled', () => this.close());
    call.on('close', () => this.close());
    const from = req.source.from;
    if (from === 'end') {
      this.cursor = req.source.kind === 'stream' ? store.lastRevision(req.source.streamId) : store.headPosition();
    } else if (from !== 'start') {
      this.cursor = from;
    }
  }

  start(): void {
    const confirmation = new streamsPb.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID());
    this.out.send(new streamsPb.ReadResp().setConfirmation(confirmation));
    void this.catchUp();
  }

  private close(): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.live = [];
    this.unlisten();
  }

  private fail(err: grpc.ServiceError): void {
    this.close();
    this.out.fail(err);
  }

  /** Only returns a promise when the transport asks us to wait (no await per event otherwise). */
  private send(e: ResolvedEvent): Promise<void> | undefined {
    return this.out.send(eventResponse(e, this.req.structuredIds));
  }

  private checkpoint(position: bigint): Promise<void> | undefined {
    this.sinceCheckpoint = 0;
    const cp = new streamsPb.ReadResp.Checkpoint().setCommitPosition(position.toString()).setPreparePosition(position.toString());
    return this.out.send(new streamsPb.ReadResp().setCheckpoint(cp));
  }

  /**
   * Counts a record a filtered $all subscription looked at, matching or
   * not; every `checkpointInterval` of them (window x multiplier) a
   * checkpoint goes out, so a consumer whose filter skips long stretches
   * still learns how far the search went (the real server counts the same
   * way: its checkpoints follow the records it skipped).
   */
  private examined(): Promise<void> | undefined {
    if (this.req.filter === undefined) return undefined;
    this.sinceCheckpoint++;
    return this.sinceCheckpoint >= this.req.checkpointInterval ? this.checkpoint(this.cursor ?? 0n) : undefined;
  }

  /** A record of $all: sent when the filter takes it, counted for checkpoints either way. */
  private offer(record: RecordedEvent): Promise<void> | undefined {
    const sent = this.req.filter === undefined || this.req.filter(record) ? this.send(this.store.resolve(record, this.req.resolveLinks)) : undefined;
    const checkpointed = this.examined();
    if (sent === undefined || checkpointed === undefined) return sent ?? checkpointed;
    return Promise.all([sent, checkpointed]).then(() => undefined);
  }

  private async catchUp(): Promise<void> {
    while (this.mode === 'catching_up') {
      const endReached = this.req.source.kind === 'stream' ? await this.streamPage(this.req.source.streamId) : await this.allPage();
      if (this.mode !== 'catching_up') return;
      if (endReached === 'deleted') return this.fail(streamDeleted(this.req.source.kind === 'stream' ? this.req.source.streamId : '$all'));
      if (endReached && this.atHead()) {
        this.mode = 'live';
        // A filtered $all subscription learns how far the search went, even when nothing matched.
        if (this.req.source.kind === 'all' && this.req.filter !== undefined && this.cursor !== undefined) void this.checkpoint(this.cursor);
        this.out.send(new streamsPb.ReadResp().setCaughtUp(new streamsPb.ReadResp.CaughtUp()));
        return;
      }
    }
  }

  /** Synchronous re-check that nothing was committed since the last page was read. */
  private atHead(): boolean {
    if (this.req.source.kind === 'all') return (this.cursor ?? 0n) >= this.store.headPosition();
    const last = this.store.lastRevision(this.req.source.streamId);
    return last === undefined || (this.cursor !== undefined && this.cursor >= last);
  }

  private async streamPage(streamId: string): Promise<boolean | 'deleted'> {
    const from = this.cursor === undefined ? 'start' : this.cursor + 1n;
    const r = this.store.readStream(streamId, { direction: 'forwards', from, maxCount: BigInt(PAGE), resolveLinks: this.req.resolveLinks });
    if (r.kind === 'deleted') return 'deleted';
    if (r.kind === 'not_found') return true;
    for (const e of r.events) {
      if (this.mode !== 'catching_up') return false;
      this.cursor = (e.link ?? e.event)?.revision ?? this.cursor;
      const wait = this.send(e);
      if (wait !== undefined) await wait;
    }
    return r.events.length < PAGE;
  }

  private async allPage(): Promise<boolean> {
    // Subscriptions start after the given position; reads include it.
    const from = this.cursor === undefined ? 'start' : this.cursor + 1n;
    const r = this.store.readAll({ direction: 'forwards', from, maxCount: PAGE, resolveLinks: false });
    for (const rec of r.events) {
      if (this.mode !== 'catching_up') return false;
      const record = rec.event as RecordedEvent;
      this.cursor = record.position;
      const wait = this.offer(record);
      if (wait !== undefined) await wait;
    }
    return r.endOfLog;
  }

  private onCommitted(records: readonly RecordedEvent[]): void {
    if (this.mode !== 'live') return;
    for (const r of records) {
      if (this.req.source.kind === 'stream' && r.streamId !== this.req.source.streamId) continue;
      this.live.push(r);
    }
    if (this.live.length > MAX_LIVE_BUFFER) {
      this.live = [];
      this.mode = 'catching_up';
      this.out.send(new streamsPb.ReadResp().setFellBehind(new streamsPb.ReadResp.FellBehind()));
      void this.catchUp();
      return;
    }
    if (!this.draining) void this.drainLive();
  }

  private async drainLive(): Promise<void> {
    this.draining = true;
    while (this.mode === 'live' && this.live.length > 0) {
      const r = this.live.shift() as RecordedEvent;
      if (this.req.source.kind === 'stream') {
        if (r.revision === DELETED_STREAM) return this.fail(streamDeleted(r.streamId));
        if (this.cursor !== undefined && r.revision <= this.cursor) continue;
        this.cursor = r.revision;
        const wait = this.send(this.store.resolve(r, this.req.resolveLinks));
        if (wait !== undefined) await wait;
      } else {
        if ((this.cursor ?? 0n) >= r.position) continue;
        this.cursor = r.position;
        const wait = this.offer(r);
        if (wait !== undefined) await wait;
      }
    }
    this.draining = false;
  }
}
