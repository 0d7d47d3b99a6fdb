import type { Consumer } from './consumer-strategy.js';
import type { GroupMessage } from './group-message.js';

/** Why the server ends a consumer's call (mapped to the real server's drop reasons). */
export type DropReason = 'group_deleted' | 'group_dropped';

/** The transport side of a consumer: the gRPC Read call implements it. */
export interface ConsumerLink {
  deliver(message: GroupMessage): void;
  drop(reason: DropReason): void;
}

export interface ConsumerInfo {
  readonly from: string;
  readonly connectionName: string;
  readonly username: string;
}

/** A consumer connected to a group, with its in-flight accounting. */
export class GroupConsumer implements Consumer {
  inFlight = 0;
  totalItems = 0;
  private windowStart = Date.now();
  private windowCount = 0;
  private lastRate = 0;

  constructor(
    readonly id: number,
    /** The client's buffer size: how many unacknowledged messages it accepts. */
    readonly bufferSize: number,
    readonly info: ConsumerInfo,
    readonly link: ConsumerLink,
    /** The group's extra statistics: per consumer, the time from sending a message to its ack or nack. */
    extraStatistics = false,
  ) {
    this.timings = extraStatistics ? new RequestTimings() : undefined;
  }

  private readonly timings: RequestTimings | undefined;

  /** A message sent to this consumer was acked or nacked. */
  settled(messageId: string): void {
    this.timings?.end(messageId);
  }

  /** The real server's observed measurements for this connection; empty without extra statistics or before any ack. */
  measurements(): ReadonlyArray<{ key: string; value: number }> {
    return this.timings?.details() ?? [];
  }

  availableSlots(): number {
    return Math.max(0, this.bufferSize - this.inFlight);
  }

  send(message: GroupMessage): void {
    this.timings?.start(message.id);
    this.inFlight++;
    this.totalItems++;
    this.windowCount++;
    this.link.deliver(message);
  }

  /** Items per second over the last measurement window (about a second). */
  averageItemsPerSecond(now = Date.now()): number {
    const elapsed = now - this.windowStart;
    if (elapsed >= 1000) {
      this.lastRate = (this.windowCount * 1000) / elapsed;
      this.windowStart = now;
      this.windowCount = 0;
    }
    return this.lastRate;
  }

  countSinceLastMeasurement(): number {
    return this.windowCount;
  }
}

/**
 * The real server's RequestStatistics: the last 1,000 send-to-settle times
 * in whole milliseconds, reported as Mean, Median, Fastest, Quintile 1-5,
 * 90%, 95%, 99%, 99.5%, 99.9% and Highest.
 */
class RequestTimings {
  private static readonly WINDOW = 1_000;
  private readonly started = new Map<string, number>();
  private readonly window: number[] = [];

  start(id: string): void {
    this.started.set(id, performance.now());
  }

  end(id: string): void {
    const at = this.started.get(id);
    if (at === undefined) return;
    this.started.delete(id);
    if (this.window.length >= RequestTimings.WINDOW) this.window.shift();
    this.window.push(Math.floor(performance.now() - at));
  }

  details(): Array<{ key: string; value: number }> {
    if (this.window.length === 0) return [];
    const items = [...this.window].sort((a, b) => a - b);
    const n = items.length;
    const at = (percentile: number): number => {
      let i = Math.floor((percentile / 100) * n);
      if (i === n) i -= 1;
      return items[i] as number;
    };
    const out = [
      { key: 'Mean', value: Math.floor(items.reduce((a, b) => a + b, 0) / n) },
      { key: 'Median', value: items[Math.floor(n / 2)] as number },
      { key: 'Fastest', value: items[0] as number },
    ];
    for (let i = 0; i < 5; i++) out.push({ key: `Quintile ${i + 1}`, value: at(i * 20) });
    for (const p of [90, 95, 99, 99.5, 99.9]) out.push({ key: `${p}%`, value: at(p) });
    out.push({ key: 'Highest', value: items[n - 1] as number });
    return out;
  }
}
