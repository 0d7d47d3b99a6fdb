import { START, streamNameFilter, type AllStreamSubscription, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCOUNT_STREAM_PREFIX } from '../domain/events.js';
import type { LogPage, LogPosition, LoggedAccountEvent } from './rebuild-source.js';

/** Events buffered ahead of the rebuild before the subscription is paused. */
const HIGH_WATER = 5_000;

const same = (a: LogPosition | undefined, b: LogPosition | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.commit === b.commit && a.prepare === b.prepare);

/**
 * The rebuild's source as one filtered catch-up subscription to `$all`: the
 * server applies the `account-` prefix filter, so links and snapshots never
 * cross the wire (readAll has no filter in this client), and events stream
 * in while the previous batch is written. Pages are cut from the stream;
 * asking for a page after another position (a resumed rebuild) reopens the
 * subscription there. Checkpoints carry the position past filtered-out
 * records, so an empty page at the head still moves on.
 */
export class AccountLogSubscription {
  private sub: AllStreamSubscription | undefined;
  private buffer: LoggedAccountEvent[] = [];
  private positions: LogPosition[] = [];
  private checkpoint: LogPosition | undefined;
  private caughtUp = false;
  private failure: Error | undefined;
  private handedOut: LogPosition | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly client: EventStoreDBClient, private readonly headOf: () => Promise<bigint>) {}

  async page(after: LogPosition | undefined, max: number): Promise<LogPage> {
    if (!this.sub || !same(after, this.handedOut)) this.open(after);
    const sub = this.sub;
    if (!sub) throw new Error('subscription not open');
    // Nothing more for now: the server said it is live and nothing it sent still waits in the client.
    const drained = () => this.caughtUp && sub.readableLength === 0;
    const atHead = () => drained() && this.buffer.length === 0;
    while (this.buffer.length < max && !drained() && !this.failure) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    if (this.failure) {
      const err = this.failure;
      await this.close();
      throw err;
    }
    const events = this.buffer.splice(0, max);
    const positions = this.positions.splice(0, events.length);
    if (this.buffer.length < HIGH_WATER) sub.resume();
    let last = positions.at(-1) ?? after;
    // A checkpoint may run ahead of data still queued in the client: only use it with nothing queued.
    if (this.buffer.length === 0 && sub.readableLength === 0 && this.checkpoint && (!last || this.checkpoint.commit > last.commit)) last = this.checkpoint;
    this.handedOut = last;
    return { events, last, atHead: atHead() };
  }

  head(): Promise<bigint> {
    return this.headOf();
  }

  async close(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await sub.unsubscribe().catch(() => undefined);
  }

  private open(after: LogPosition | undefined): void {
    void this.close();
    this.buffer = [];
    this.positions = [];
    this.checkpoint = undefined;
    this.caughtUp = false;
    this.failure = undefined;
    this.handedOut = after;
    const sub = this.client.subscribeToAll({
      // A subscription starts after its position (a read would include it).
      fromPosition: after ?? START,
      resolveLinkTos: false,
      filter: streamNameFilter({
        prefixes: [ACCOUNT_STREAM_PREFIX],
        // Checkpoints only matter at the head (to step past filtered-out records): rare is enough.
        checkpointInterval: 100,
        checkpointReached: (_s, position) => {
          if (this.sub === sub) this.checkpoint = position;
        },
      }),
    });
    const notify = () => this.wake?.();
    sub.on('data', (resolved) => {
      const e = resolved.event;
      if (this.sub !== sub) return;
      if (!e || !e.isJson || !e.streamId.startsWith(ACCOUNT_STREAM_PREFIX)) return;
      this.buffer.push({
        eventId: e.id, streamId: e.streamId, revision: e.revision, commitPosition: e.position.commit,
        type: e.type, data: e.data, metadata: e.metadata, created: e.created,
      });
      this.positions.push(e.position);
      if (this.buffer.length >= HIGH_WATER) sub.pause();
      notify();
    });
    // Handlers of a replaced subscription must not touch the current one's state.
    sub.on('caughtUp', () => { if (this.sub === sub) { this.caughtUp = true; notify(); } });
    sub.on('fellBehind', () => { if (this.sub === sub) this.caughtUp = false; });
    sub.on('error', (err) => { if (this.sub === sub) { this.failure = err; notify(); } });
    sub.on('end', () => { if (this.sub === sub) { this.failure ??= new Error('the $all subscription ended'); notify(); } });
    this.sub = sub;
  }
}
