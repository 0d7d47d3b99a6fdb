import type { LoadedAccount } from './loaded-account.js';

/**
 * Recently used accounts at their last known revision, so a command costs one
 * append, not a read plus an append. Staleness is safe: another writer moves
 * the stream on, our append then conflicts and the handler catches up from
 * the cached revision. Bounded, least recently used goes first.
 */
export class AccountCache {
  private readonly entries = new Map<string, LoadedAccount>();

  constructor(private readonly maxEntries: number) {}

  get(stream: string): LoadedAccount | undefined {
    const hit = this.entries.get(stream);
    if (hit) {
      // Re-insert: a Map iterates in insertion order, so the oldest key is the least recently used.
      this.entries.delete(stream);
      this.entries.set(stream, hit);
    }
    return hit;
  }

  /** Keeps the newer of what is cached and `loaded` (revisions only grow). */
  set(loaded: LoadedAccount): void {
    const current = this.entries.get(loaded.stream);
    if (current && current.revision > loaded.revision) return;
    this.entries.delete(loaded.stream);
    this.entries.set(loaded.stream, loaded);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
