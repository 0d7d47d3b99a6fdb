import type { RecentEvent } from './commit-check.js';

/** One generation: open addressing over two typed arrays (no object per id, nothing for the GC to trace). */
class IdTable {
  /** A hash of each slot's id; meaningful where `entries` is not 0. */
  readonly hashes: Int32Array;
  /** The log index of each slot's record, plus one (0: empty). */
  readonly entries: Uint32Array;
  readonly mask: number;
  count = 0;

  constructor(slots: number) {
    this.hashes = new Int32Array(slots);
    this.entries = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  clear(): void {
    this.entries.fill(0);
    this.count = 0;
  }
}

// FNV-1a over the id's UTF-16 units, then a multiplicative mix so that ids
// differing only in their last characters spread over the whole table.
const hashOf = (id: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 16), 0x85ebca6b);
};

/**
 * The real server keeps a bounded cache of recently committed event ids and
 * uses it to recognise repeated appends with expected revision any. Ours
 * keeps between `capacity / 2` and `capacity` of the latest ids in two
 * generations: when the young one is full it becomes the old one and the
 * previous old one is emptied. An id maps to its record's log index, and the
 * record itself (its stream and revision) is the answer.
 *
 * Not a Map: with a Map per generation the cache took about a sixth of the
 * store's CPU per appended event (bench/esdb-append.ts profile, issue 16),
 * in Map inserts and misses, and every dropped generation was 50,000 entries
 * of old-space garbage for the major GC.
 */
export class RecentEventIds<R extends RecentEvent & { readonly eventId: string }> {
  private young: IdTable;
  private old: IdTable;
  private readonly generation: number;

  constructor(
    capacity: number,
    /** The record at a log index that was remembered. */
    private readonly recordAt: (index: number) => R,
  ) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
    // At most half full, so probe runs stay short.
    let slots = 2;
    while (slots < 2 * this.generation) slots *= 2;
    this.young = new IdTable(slots);
    this.old = new IdTable(slots);
  }

  /** Remembers the record at log index `index` under its id; a later record with the same id wins. */
  remember(eventId: string, index: number): void {
    if (this.young.count >= this.generation) {
      const emptied = this.old;
      emptied.clear();
      this.old = this.young;
      this.young = emptied;
    }
    const t = this.young;
    const h = hashOf(eventId);
    let slot = h & t.mask;
    for (;;) {
      const entry = t.entries[slot] as number;
      if (entry === 0) break;
      if (t.hashes[slot] === h && this.recordAt(entry - 1).eventId === eventId) {
        t.entries[slot] = index + 1;
        return;
      }
      slot = (slot + 1) & t.mask;
    }
    t.hashes[slot] = h;
    t.entries[slot] = index + 1;
    t.count++;
  }

  lookup = (eventId: string): R | undefined => {
    const h = hashOf(eventId);
    return this.find(this.young, eventId, h) ?? this.find(this.old, eventId, h);
  };

  private find(t: IdTable, eventId: string, h: number): R | undefined {
    let slot = h & t.mask;
    for (;;) {
      const entry = t.entries[slot] as number;
      if (entry === 0) return undefined;
      if (t.hashes[slot] === h) {
        const r = this.recordAt(entry - 1);
        if (r.eventId === eventId) return r;
      }
      slot = (slot + 1) & t.mask;
    }
  }
}
