import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { RecentEventIds } from '../../src/esdb-server/store/recent-event-ids.js';

interface Rec {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: bigint;
}

/** The cache's contract as plain Maps: two generations of `capacity / 2` ids, the later of two equal ids wins. */
class MapModel {
  private young = new Map<string, Rec>();
  private old = new Map<string, Rec>();
  constructor(private readonly generation: number) {}
  remember(r: Rec): void {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(r.eventId, r);
  }
  lookup(id: string): Rec | undefined {
    return this.young.get(id) ?? this.old.get(id);
  }
}

describe('recent event ids', () => {
  test('answers with the record of the latest append of an id, and forgets ids two generations old, as the Map model does', () => {
    // A small capacity: many generations, a crowded table (probe runs wrap around its end).
    const capacity = 40;
    const log: Rec[] = [];
    const cache = new RecentEventIds<Rec>(capacity, (i) => log[i] as Rec);
    const model = new MapModel(capacity / 2);
    const ids = Array.from({ length: 60 }, () => randomUUID());
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let hits = 0;
    for (let step = 0; step < 5000; step++) {
      // Ids repeat (a retry, or the same id appended to another stream), so hits and overwrites happen.
      const id = ids[next(ids.length)] as string;
      const r: Rec = { eventId: id, streamId: `s-${next(3)}`, revision: BigInt(step) };
      log.push(r);
      cache.remember(id, log.length - 1);
      model.remember(r);
      for (let k = 0; k < 3; k++) {
        const probe = ids[next(ids.length)] as string;
        const expected = model.lookup(probe);
        expect(cache.lookup(probe)).toBe(expected);
        if (expected !== undefined) hits++;
      }
      expect(cache.lookup(randomUUID())).toBeUndefined();
    }
    // Both answers occurred often: the comparison above was not all misses, nor all hits.
    expect(hits).toBeGreaterThan(1000);
    expect(hits).toBeLessThan(15000);
  });

  test('at the default size, an id stays known for at least half the capacity of later ids and is gone after the capacity', () => {
    const capacity = 100_000;
    const log: Rec[] = [];
    const cache = new RecentEventIds<Rec>(capacity, (i) => log[i] as Rec);
    const add = (id: string): void => {
      log.push({ eventId: id, streamId: 'account-1', revision: BigInt(log.length) });
      cache.remember(id, log.length - 1);
    };
    const first = randomUUID();
    add(first);
    for (let i = 0; i < capacity / 2 - 1; i++) add(randomUUID());
    expect(cache.lookup(first)?.revision).toBe(0n);
    for (let i = 0; i < capacity / 2 + 1; i++) add(randomUUID());
    expect(cache.lookup(first)).toBeUndefined();
    expect(cache.lookup(log[log.length - 1]?.eventId as string)?.revision).toBe(BigInt(log.length - 1));
  });
});
