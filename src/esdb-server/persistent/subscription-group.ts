import type { EventLog, RecordedEvent } from '../store/types.js';
import { CheckpointTracker } from './checkpoint-tracker.js';
import { createConsumerStrategy, type ConsumerStrategy } from './consumer-strategy.js';
import { allFilter, readSource, sourceName, type ReadCursor } from './event-source.js';
import { GroupConsumer, type ConsumerInfo, type ConsumerLink, type DropReason } from './group-consumer.js';
import type { GroupDefinition } from './group-definition.js';
import { messageId, type GroupMessage } from './group-message.js';
import { isConsumerStrategy, readAhead, readBatch } from './group-settings.js';
import { GroupStorage, groupKey } from './group-storage.js';
import { startingPoint } from './starting-point.js';

export type NackAction = 'park' | 'retry' | 'skip' | 'stop' | 'unknown';

interface InFlight {
  readonly message: GroupMessage;
  readonly consumer: GroupConsumer;
  readonly deadline: number;
}

/**
 * One persistent subscription group: reads its source from the log, hands
 * events to its consumers through the consumer strategy within their buffer
 * sizes, retries on nack and timeout, parks, and checkpoints what is done.
 * Single-threaded by construction (Node's event loop); writes are async.
 */
export class SubscriptionGroup {
  readonly key: string;
  readonly storage: GroupStorage;
  readonly consumers: GroupConsumer[] = [];
  private readonly strategy: ConsumerStrategy;
  private readonly tracker: CheckpointTracker;
  private readonly filter: (e: RecordedEvent) => boolean;
  private readonly buffer: GroupMessage[] = [];
  private readonly retries: GroupMessage[] = [];
  private readonly inFlight = new Map<string, InFlight>();
  private cursor: ReadCursor;
  private caughtUp = false;
  private nextConsumerId = 1;
  private pumpScheduled = false;
  private closed = false;
  private replaying = false;
  private sinceCheckpoint = 0;
  private lastCheckpointAt = Date.now();
  private writingCheckpoint: Promise<void> | undefined;
  lastCheckpoint: bigint | undefined;
  totalItems = 0;

  constructor(
    private readonly log: EventLog,
    readonly definition: GroupDefinition,
  ) {
    const name = sourceName(definition.source);
    this.key = groupKey(name, definition.group);
    this.storage = new GroupStorage(log, this.key, definition.source.kind === 'all');
    const strategyName = definition.settings.consumerStrategy;
    this.strategy = createConsumerStrategy(isConsumerStrategy(strategyName) ? strategyName : 'RoundRobin');
    this.filter = definition.source.kind === 'all' ? allFilter(definition.source.filter) : () => true;
    this.lastCheckpoint = this.storage.loadCheckpoint();
    const start = startingPoint(log, definition, this.lastCheckpoint);
    this.cursor = start.cursor;
    this.tracker = new CheckpointTracker(start.before);
    this.schedulePump();
  }

  get settings(): GroupDefinition['settings'] {
    return this.definition.settings;
  }

  isFull(): boolean {
    const max = this.settings.maxSubscriberCount;
    return max > 0 && this.consumers.length >= max;
  }

  connect(link: ConsumerLink, bufferSize: number, info: ConsumerInfo): GroupConsumer {
    const consumer = new GroupConsumer(this.nextConsumerId++, Math.max(1, bufferSize), info, link, this.settings.extraStatistics);
    // Replaced or restarting meanwhile (update, restart): the consumer is dropped and reconnects.
    if (this.closed) {
      link.drop('group_dropped');
      return consumer;
    }
    this.consumers.push(consumer);
    this.schedulePump();
    return consumer;
  }

  /** A consumer left: what it held comes back as retries, as with the real server. */
  disconnect(consumer: GroupConsumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    this.strategy.removed(consumer);
    for (const [id, f] of this.inFlight) {
      if (f.consumer !== consumer) continue;
      this.inFlight.delete(id);
      this.retry(f.message);
    }
    this.schedulePump();
  }

  ack(ids: readonly string[]): void {
    for (const id of ids) {
      const f = this.take(id);
      if (f) {
        f.consumer.settled(id);
        this.finish(f.message);
      }
    }
    this.schedulePump();
  }

  nack(ids: readonly string[], action: NackAction, reason: string): void {
    for (const id of ids) {
      // Stop leaves the message in flight: the real server does nothing with it, so it times out.
      if (action === 'stop') continue;
      const f = this.take(id);
      if (!f) continue;
      f.consumer.settled(id);
      if (action === 'park') this.park(f.message, `Client explicitly NAK'ed message.\n${reason}`);
      else if (action === 'skip') this.finish(f.message);
      else this.retry(f.message);
    }
    this.schedulePump();
  }

  /** New records reached the log. */
  notifyCommitted(): void {
    this.schedulePump();
  }

  /** Timer: redeliver timed-out messages; checkpoint on the time rule. */
  tick(now: number): void {
    if (this.closed) return;
    for (const [id, f] of this.inFlight) {
      if (f.deadline > now) continue;
      this.take(id);
      this.retry(f.message);
    }
    const s = this.settings;
    if (now - this.lastCheckpointAt >= s.checkPointAfterMs && this.sinceCheckpoint >= Math.max(1, s.minCheckPointCount)) {
      void this.checkpoint();
    }
    this.schedulePump();
  }

  /** Moves parked messages [first, stopAt) back into the group, then marks them replayed. */
  async replayParked(stopAt: bigint | undefined): Promise<void> {
    // One replay at a time, as the real server (ReplayingParkedMessages state): a second request is a no-op.
    if (this.replaying) return;
    const { first, end } = this.storage.parkedRange();
    const to = stopAt !== undefined && stopAt < end ? stopAt : end;
    if (to <= first) return;
    this.replaying = true;
    // Delivered as the real server does (OutstandingMessage.ForParkedEvent): the event resolved
    // through its parked-stream link, which is also the id the consumer acks.
    for (const parked of this.storage.readParked(first, to)) {
      this.retries.push({ event: parked, id: messageId(parked), retryCount: 0, seq: undefined });
    }
    try {
      await this.storage.markReplayed(to);
    } finally {
      this.replaying = false;
    }
    this.schedulePump();
  }

  /** Ends every consumer's call and writes a last checkpoint. */
  async shutdown(reason: DropReason): Promise<void> {
    this.closed = true;
    for (const c of this.consumers.splice(0)) c.link.drop(reason);
    await this.writingCheckpoint;
    if (reason !== 'group_deleted') await this.checkpoint(true);
  }

  status(): { readBuffer: number; retryBuffer: number; inFlight: number; caughtUp: boolean; lastKnown: bigint | undefined } {
    return {
      readBuffer: this.buffer.length,
      retryBuffer: this.retries.length,
      inFlight: this.inFlight.size,
      caughtUp: this.caughtUp,
      lastKnown: this.tracker.lastKnown,
    };
  }

  private take(id: string): InFlight | undefined {
    const f = this.inFlight.get(id);
    if (!f) return undefined;
    this.inFlight.delete(id);
    f.consumer.inFlight = Math.max(0, f.consumer.inFlight - 1);
    return f;
  }

  private finish(message: GroupMessage): void {
    if (message.seq === undefined) return;
    this.tracker.finish(message.seq);
    this.sinceCheckpoint++;
    // While a checkpoint is being written, checkpoint() would return at once: skip the call.
    if (this.sinceCheckpoint >= Math.max(1, this.settings.maxCheckPointCount) && !this.writingCheckpoint) void this.checkpoint();
  }

  /** Redelivers later, or parks once the retry budget is spent (RetryMessage in the real server). */
  private retry(message: GroupMessage): void {
    if (message.retryCount >= this.settings.maxRetryCount) {
      this.park(message, `Reached retry count of ${this.settings.maxRetryCount}`);
      return;
    }
    this.retries.push({ ...message, retryCount: message.retryCount + 1 });
  }

  private park(message: GroupMessage, reason: string): void {
    this.storage.park(message.event, reason).then(
      () => this.finish(message),
      // The log refused the write (closing down): keep the message rather than lose it.
      () => this.retries.push(message),
    );
  }

  /** Writes where the group stands, unless it did not move. After shutdown only the final flush writes. */
  private async checkpoint(final = false): Promise<void> {
    if (this.writingCheckpoint || (this.closed && !final)) return;
    const position = this.tracker.position();
    this.sinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    if (position < 0n || position === this.lastCheckpoint) return;
    this.writingCheckpoint = this.storage.writeCheckpoint(position).then(
      () => {
        this.lastCheckpoint = position;
      },
      () => undefined,
    );
    await this.writingCheckpoint;
    this.writingCheckpoint = undefined;
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (!this.closed) this.pump();
    });
  }

  /** Messages the consumers can still take, all together. */
  private freeSlots(): number {
    let free = 0;
    for (const c of this.consumers) free += c.availableSlots();
    return free;
  }

  /**
   * Retries first, then buffered events; the buffer is kept filled from the
   * log up to the read-ahead size even without consumers, as the real server
   * does (so an idle, caught-up group reports itself live).
   */
  private pump(): void {
    this.dispatch(this.retries);
    this.dispatch(this.buffer);
    while (this.buffer.length < readAhead(this.settings) && this.fill()) this.dispatch(this.buffer);
  }

  /**
   * Hands out queued messages in order while any consumer has a free slot;
   * a message the strategy cannot place yet (its Pinned owner is full, or
   * it is still in flight) keeps its place. Placed messages leave the queue
   * in one splice at the end rather than one each.
   */
  private dispatch(queue: GroupMessage[]): void {
    let free = queue.length === 0 ? 0 : this.freeSlots();
    if (free === 0) return;
    const timeout = this.settings.messageTimeoutMs;
    const deadline = timeout > 0 ? Date.now() + timeout : Infinity;
    let kept = 0;
    let i = 0;
    for (; i < queue.length && free > 0; i++) {
      const message = queue[i] as GroupMessage;
      const consumer = this.inFlight.has(message.id) ? undefined : this.strategy.pick(this.consumers, message);
      if (!consumer) {
        queue[kept++] = message;
        continue;
      }
      this.inFlight.set(message.id, { message, consumer, deadline });
      this.totalItems++;
      consumer.send(message);
      free--;
    }
    if (i > kept) queue.splice(kept, i - kept);
  }

  /** Reads the next batch into the buffer; false when the source has nothing new. */
  private fill(): boolean {
    const room = readAhead(this.settings) - this.buffer.length;
    const size = Math.max(1, Math.min(room, readBatch(this.settings)));
    // A batch can hold only records already handed out (the first read after a checkpoint): read on.
    for (let attempt = 0; attempt < 4; attempt++) {
      const batch = readSource(this.log, this.definition.source, this.cursor, size, this.settings.resolveLinkTos, this.filter);
      this.cursor = batch.cursor;
      this.caughtUp = batch.atEnd;
      for (const item of batch.items) {
        const seq = this.tracker.read(item.checkpoint);
        this.buffer.push({ event: item.event, id: messageId(item.event), retryCount: 0, seq });
      }
      if (batch.items.length > 0) return true;
      if (batch.atEnd) return false;
    }
    return false;
  }
}
