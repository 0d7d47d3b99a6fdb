import { convertToCommandError, type EventStoreDBClient } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { internalsOf } from './client-internals.js';
import { ACCOUNT_STREAM_PREFIX } from '../domain/events.js';
import { decodeReadMessage, type ReadMessage } from './rebuild-read-codec.js';
import type { LogPage, LogPosition, LoggedAccountEvent } from './rebuild-source.js';

/** Events buffered ahead of the rebuild before the subscription is paused (at least two pages). */
const HIGH_WATER = 5_000;
/** Checkpoints only matter at the head (to step past filtered-out records): rare is enough. */
const CHECKPOINT_INTERVAL = 100;
const READ = '/event_store.client.streams.Streams/Read';

const same = (a: LogPosition | undefined, b: LogPosition | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.commit === b.commit && a.prepare === b.prepare);

/**
 * The rebuild's source as one filtered catch-up subscription to `$all`: the
 * server applies the `account-` prefix filter, so links and snapshots never
 * cross the wire (readAll has no filter in this client), and events stream
 * in while the previous batch is written, up to a bound. Pages are cut from
 * the stream; asking for a page after another position (a resumed rebuild)
 * reopens the subscription there. Checkpoints carry the position past
 * filtered-out records, so an empty page at the head still moves on.
 */
export class AccountLogSubscription {
  private feed: Feed | undefined;
  private handedOut: LogPosition | undefined;

  constructor(private readonly client: EventStoreDBClient, private readonly headOf: () => Promise<bigint>) {}

  async page(after: LogPosition | undefined, max: number): Promise<LogPage> {
    if (!this.feed || !same(after, this.handedOut)) {
      void this.close();
      this.feed = new Feed(this.client, after);
      this.handedOut = after;
    }
    const feed = this.feed;
    await feed.filled(max);
    if (feed.failure) {
      await this.close();
      throw feed.failure;
    }
    const { events, last } = feed.take(max);
    this.handedOut = last ?? after;
    // Nothing more for now: the server said it is live and nothing it sent still waits here.
    return { events, last: this.handedOut, atHead: feed.drained() && feed.buffered() === 0 };
  }

  head(): Promise<bigint> {
    return this.headOf();
  }

  async close(): Promise<void> {
    const feed = this.feed;
    this.feed = undefined;
    await feed?.close();
  }
}

/** The request the client's subscribeToAll sends for a stream-prefix filter. */
function subscribeRequest(after: LogPosition | undefined): InstanceType<typeof streamsPb.ReadReq> {
  const { Options } = streamsPb.ReadReq;
  const all = new Options.AllOptions();
  // A subscription starts after its position (a read would include it).
  if (after) all.setPosition(new Options.Position().setCommitPosition(after.commit.toString()).setPreparePosition(after.prepare.toString()));
  else all.setStart(new sharedPb.Empty());
  const filter = new Options.FilterOptions()
    .setStreamIdentifier(new Options.FilterOptions.Expression().setPrefixList([ACCOUNT_STREAM_PREFIX]))
    .setCount(new sharedPb.Empty())
    .setCheckpointintervalmultiplier(CHECKPOINT_INTERVAL);
  const options = new Options()
    .setAll(all)
    .setResolveLinks(false)
    .setSubscription(new Options.SubscriptionOptions())
    .setFilter(filter)
    .setUuidOption(new Options.UUIDOption().setString(new sharedPb.Empty()));
  return new streamsPb.ReadReq().setOptions(options);
}

/**
 * One opened subscription and what it delivered that is not handed out yet.
 * It goes through the client's own channel, but its responses are decoded
 * by rebuild-read-codec.ts instead of the client's google-protobuf path
 * (about 2/3 of the rebuild's CPU per event). Messages arrive in order, so
 * `caughtUp` and `checkpoint` always describe what is already buffered.
 */
class Feed {
  private readonly events: LoggedAccountEvent[] = [];
  private readonly positions: LogPosition[] = [];
  private checkpoint: LogPosition | undefined;
  private caughtUp = false;
  private closed = false;
  private highWater = HIGH_WATER;
  private call: ClientReadableStream<ReadMessage> | undefined;
  private waiting: { readonly count: number; readonly wake: () => void } | undefined;
  failure: Error | undefined;

  constructor(client: EventStoreDBClient, after: LogPosition | undefined) {
    const { GRPCStreamCreator, callArguments } = internalsOf(client);
    const request = subscribeRequest(after);
    const open = GRPCStreamCreator(streamsGrpc.StreamsClient, 'rebuild subscribeToAll', (grpc) =>
      grpc.makeServerStreamRequest(READ, (r: typeof request) => Buffer.from(r.serializeBinary()), decodeReadMessage, request,
        ...callArguments({}, { deadline: Infinity })));
    open().then((call) => this.attach(call), (err: Error) => this.fail(err));
  }

  /** Resolves once `max` events are buffered, the server is live with nothing left, or the subscription failed. */
  filled(max: number): Promise<void> {
    this.highWater = Math.max(HIGH_WATER, 2 * max);
    if (this.events.length >= max || this.drained() || this.failure) return Promise.resolve();
    return new Promise((wake) => {
      this.waiting = { count: max, wake };
    });
  }

  /** Up to `max` events and the position to resume after (a checkpoint once nothing before it is left). */
  take(max: number): { events: LoggedAccountEvent[]; last: LogPosition | undefined } {
    const events = this.events.splice(0, max);
    let last = this.positions.splice(0, events.length).at(-1);
    if (this.events.length < this.highWater) this.call?.resume();
    if (this.events.length === 0 && this.checkpoint && (!last || this.checkpoint.commit > last.commit)) last = this.checkpoint;
    return { events, last };
  }

  buffered(): number {
    return this.events.length;
  }

  /** Live, and no message waits unread in the call (it may, while paused). */
  drained(): boolean {
    return this.caughtUp && (this.call?.readableLength ?? 0) === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    const call = this.call;
    // As the client's unsubscribe: cancel outside the current callback (grpc-node #1464, #1652).
    if (call) await new Promise<void>((resolve) => setImmediate(() => { call.cancel(); resolve(); }));
  }

  private attach(call: ClientReadableStream<ReadMessage>): void {
    if (this.closed) {
      call.cancel();
      return;
    }
    this.call = call;
    call.on('data', (m: ReadMessage) => this.receive(m));
    call.on('error', (err: Error) => this.fail(err));
    call.on('end', () => this.fail(new Error('the $all subscription ended')));
  }

  private receive(m: ReadMessage): void {
    if (m.kind === 'event') {
      if (m.event === undefined) return;
      this.events.push(m.event);
      this.positions.push(m.position);
      if (this.events.length >= this.highWater) this.call?.pause();
    } else if (m.kind === 'checkpoint') this.checkpoint = m.position;
    else if (m.kind === 'caughtUp') this.caughtUp = true;
    else if (m.kind === 'fellBehind') this.caughtUp = false;
    if (this.waiting && (this.events.length >= this.waiting.count || this.drained())) this.wake();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.failure ??= convertToCommandError(err);
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.wake();
  }
}
