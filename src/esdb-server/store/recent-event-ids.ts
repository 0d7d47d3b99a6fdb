import type { RecentEvent } from './commit-check.js';

/**
 * The real server keeps a bounded cache of recently committed event ids and
 * uses it to recognise repeated appends with expected revision any. Ours
 * keeps the last `capacity` ids, oldest evicted first.
 */
export class RecentEventIds {
  private readonly byId = new Map<string, RecentEvent>();

  constructor(private readonly capacity: number) {}

  remember(eventId: string, event: RecentEvent): void {
    this.byId.delete(eventId);
    this.byId.set(eventId, event);
    if (this.byId.size > this.capacity) {
      const oldest = this.byId.keys().next();
      if (!oldest.done) this.byId.delete(oldest.value);
    }
  }

  lookup = (eventId: string): RecentEvent | undefined => this.byId.get(eventId);
}
