/**
 * Knows the furthest point of the source before which every event has been
 * finished (acked, skipped or parked): that is what a checkpoint records.
 * Events finish out of order, so it remembers, per unfinished event, the
 * checkpoint value of the event read just before it.
 */
export class CheckpointTracker {
  private readonly unfinished = new Map<number, bigint>();
  private lastRead: bigint;
  private nextSeq = 0;

  /** @param start the checkpoint value before the first event to read (-1 when none). */
  constructor(start: bigint) {
    this.lastRead = start;
  }

  /** Registers an event read from the source; returns its ordinal. */
  read(checkpoint: bigint): number {
    const seq = this.nextSeq++;
    this.unfinished.set(seq, this.lastRead);
    this.lastRead = checkpoint;
    return seq;
  }

  finish(seq: number): void {
    this.unfinished.delete(seq);
  }

  /** Sequences are inserted in increasing order, so the map's first key is the oldest unfinished one. */
  position(): bigint {
    for (const before of this.unfinished.values()) return before;
    return this.lastRead;
  }

  get lastReadPosition(): bigint {
    return this.lastRead;
  }

  /** The checkpoint value of the last event read, undefined until one was (the real server's last known event). */
  get lastKnown(): bigint | undefined {
    return this.nextSeq === 0 ? undefined : this.lastRead;
  }
}
