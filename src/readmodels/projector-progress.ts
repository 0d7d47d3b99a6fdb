/**
 * What one projector process has done: the position it last acked, when that
 * event was recorded, and a sliding-window rate. Read by the lag reporter.
 */
export class ProjectorProgress {
  lastPosition: bigint | undefined = undefined;
  lastEventCreated: Date | undefined = undefined;
  processed = 0;
  parked = 0;
  storeFailing = false;
  private readonly window: { at: number; count: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  recordAcked(count: number, position: bigint | undefined, created: Date | undefined, now = Date.now()): void {
    this.processed += count;
    this.window.push({ at: now, count });
    if (position !== undefined && (this.lastPosition === undefined || position > this.lastPosition)) {
      this.lastPosition = position;
      this.lastEventCreated = created;
    }
  }

  eventsPerSecond(now = Date.now()): number {
    while (this.window.length > 0 && this.window[0]!.at < now - this.windowMs) this.window.shift();
    const count = this.window.reduce((sum, w) => sum + w.count, 0);
    return count / (this.windowMs / 1000);
  }
}
