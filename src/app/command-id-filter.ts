import { hash } from 'node:crypto';

/**
 * The command ids an account no longer lists one by one (command-window.ts,
 * snapshots), as a scalable Bloom filter: "no" is certain, "maybe" is
 * checked against the stream. Without it a handler could not recognise the
 * retry of a command older than its window, and would append it again.
 * Segments double in capacity as ids arrive.
 *
 * A false "maybe" costs a read of the account's stream, so its price grows
 * with the stream: new segments take 32 bits per id (~2e-7 false positives
 * per segment, ~3e-6 over the ~13 segments of a million ids) where the
 * first ones took 16 (~0.05% per segment, 0.6% at a million ids: a read of
 * the whole stream every ~170 commands on a busy account). Each segment
 * keeps its own size, and its number of hashes follows from it, so segments
 * written at 16 bits (older snapshots) still answer.
 */
const BITS_PER_ID = 32;
const FIRST_CAPACITY = 256;

type Segment = { readonly capacity: number; count: number; readonly hashes: number; readonly bits: Uint8Array };
export type CommandIdFilterJson = readonly (readonly [capacity: number, count: number, bits: string])[];

// The optimal number of hashes for m/n bits per id: (m/n) ln 2 (11 for 16 bits, 22 for 32).
const hashesFor = (capacity: number, bits: Uint8Array): number => Math.max(1, Math.round(((bits.length * 8) / capacity) * Math.LN2));
const FIRST_SCHEME_HASHES = 11;

const newSegment = (capacity: number): Segment => {
  const bits = new Uint8Array((capacity * BITS_PER_ID) / 8);
  return { capacity, count: 0, hashes: hashesFor(capacity, bits), bits };
};

/** Three 32-bit hashes of an id, computed once and used for every segment. */
type IdHash = { readonly h1: number; readonly h2: number; readonly h3: number };
const hashOf = (id: string): IdHash => {
  const digest = hash('sha256', id, 'buffer');
  return { h1: digest.readUInt32LE(0), h2: digest.readUInt32LE(4) | 1, h3: digest.readUInt32LE(8) };
};

/**
 * The i-th bit of an id in a segment of `size` bits. 16-bit segments use
 * double hashing (h1 + i·h2), as they were written. Its index sequences
 * depend on the low bits of h1 and h2 only (2^25 of them at 8,192 bits),
 * which caps how rare a false positive can get (measured ~1e-4 instead of
 * 2e-7), so 32-bit segments add h3·i(i-1)/2 (enhanced double hashing).
 */
const bitIndex = ({ h1, h2, h3 }: IdHash, i: number, s: Segment): number => {
  const size = s.bits.length * 8;
  const spread = s.hashes === FIRST_SCHEME_HASHES ? 0 : Math.imul(h3, (i * (i - 1)) / 2);
  return ((h1 + Math.imul(i, h2) + spread) >>> 0) % size;
};

const has = (s: Segment, h: IdHash): boolean => {
  for (let i = 0; i < s.hashes; i++) {
    const b = bitIndex(h, i, s);
    if (((s.bits[b >> 3] ?? 0) & (1 << (b & 7))) === 0) return false;
  }
  return true;
};

export class CommandIdFilter {
  private constructor(private readonly segments: Segment[]) {}

  static empty(): CommandIdFilter {
    return new CommandIdFilter([]);
  }

  static fromJson(json: CommandIdFilterJson): CommandIdFilter {
    return new CommandIdFilter(json.map(([capacity, count, base64]) => {
      const bits = new Uint8Array(Buffer.from(base64, 'base64'));
      return { capacity, count, hashes: hashesFor(capacity, bits), bits };
    }));
  }

  toJson(): CommandIdFilterJson {
    return this.segments.map((s) => [s.capacity, s.count, Buffer.from(s.bits).toString('base64')] as const);
  }

  copy(): CommandIdFilter {
    return new CommandIdFilter(this.segments.map((s) => ({ ...s, bits: s.bits.slice() })));
  }

  mightContain(id: string): boolean {
    // Every new command asks: spare the hash while nothing has left an account's window.
    if (this.segments.length === 0) return false;
    const h = hashOf(id);
    return this.segments.some((s) => has(s, h));
  }

  add(id: string): void {
    const h = hashOf(id);
    if (this.segments.some((s) => has(s, h))) return;
    let last = this.segments.at(-1);
    if (last === undefined || last.count >= last.capacity) {
      last = newSegment(last === undefined ? FIRST_CAPACITY : last.capacity * 2);
      this.segments.push(last);
    }
    for (let i = 0; i < last.hashes; i++) {
      const b = bitIndex(h, i, last);
      last.bits[b >> 3] = (last.bits[b >> 3] ?? 0) | (1 << (b & 7));
    }
    last.count++;
  }
}
