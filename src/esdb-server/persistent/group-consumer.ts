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
  ) {}

  availableSlots(): number {
    return Math.max(0, this.bufferSize - this.inFlight);
  }

  send(message: GroupMessage): void {
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
