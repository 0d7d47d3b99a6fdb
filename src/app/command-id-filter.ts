import { createHash } from 'node:crypto';

/**
 * The command ids a snapshot no longer lists one by one, as a scalable Bloom
 * filter: "no" is certain, "maybe" is checked against the stream. Without it
 * a handler that loaded an account from a snapshot could not recognise the
 * retry of a command older than the snapshot's window, and would append it
 * again. Segments double in capacity as ids arrive, so the false-positive
 * rate stays near HASHES' design rate times log2 of the growth.
 */
const BITS_PER_ID = 16;
const HASHES = 11; // optimal for 16 bits per id: ~0.05% false positives per segment
const FIRST_CAPACITY = 256;

type Segment = { readonly capacity: number; count: number; readonly bits: Uint8Array };
export type CommandIdFilterJson = readonly (readonly [capacity: number, count: number, bits: string])[];

const newSegment = (capacity: number): Segment => ({ capacity, count: 0, bits: new Uint8Array((capacity * BITS_PER_ID) / 8) });

/** Two 32-bit hashes of an id, computed once and used for every segment. */
type IdHash = { readonly h1: number; readonly h2: number };
const hashOf = (id: string): IdHash => {
  const digest = createHash('sha256').update(id).digest();
  return { h1: digest.readUInt32LE(0), h2: digest.readUInt32LE(4) | 1 };
};

// Double hashing (Kirsch–Mitzenmacher): HASHES bit indexes from the two halves.
function* bitIndexes({ h1, h2 }: IdHash, sizeInBits: number): Generator<number> {
  for (let i = 0; i < HASHES; i++) yield ((h1 + Math.imul(i, h2)) >>> 0) % sizeInBits;
}

const has = (s: Segment, h: IdHash): boolean => {
  for (const b of bitIndexes(h, s.bits.length * 8)) if (((s.bits[b >> 3] ?? 0) & (1 << (b & 7))) === 0) return false;
  return true;
};

export class CommandIdFilter {
  private constructor(private readonly segments: Segment[]) {}

  static empty(): CommandIdFilter {
    return new CommandIdFilter([]);
  }

  static fromJson(json: CommandIdFilterJson): CommandIdFilter {
    return new CommandIdFilter(json.map(([capacity, count, bits]) => ({ capacity, count, bits: new Uint8Array(Buffer.from(bits, 'base64')) })));
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
    for (const b of bitIndexes(h, last.bits.length * 8)) last.bits[b >> 3] = (last.bits[b >> 3] ?? 0) | (1 << (b & 7));
    last.count++;
  }
}
