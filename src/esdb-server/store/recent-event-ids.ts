import type { RecentEvent } from './commit-check.js';

/**
 * The real server keeps a bounded cache of recently committed event ids and
 * uses it to recognise repeated appends with expected revision any. Ours
 * keeps between `capacity / 2` and `capacity` of the latest ids in two
 * generations: when the young one is full it becomes the old one and the
 * previous old one is dropped whole (deleting single keys from a large Map
 * is slow in V8).
 */
export class RecentEventIds {
  private young = new Map<string, RecentEvent>();
  private old = new Map<string, RecentEvent>();
  private readonly generation: number;

  constructor(capacity: number) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  remember(eventId: string, event: RecentEvent): void {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(eventId, event);
  }

  lookup = (eventId: string): RecentEvent | undefined => this.young.get(eventId) ?? this.old.get(eventId);
}
