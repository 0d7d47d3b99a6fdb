/**
 * Hand-written decoding of the Read call's Ack and Nack requests, which a
 * consumer sends once per event (or per batch) and google-protobuf's object
 * model was costly to build for. Field numbers (persistent.proto, shared.proto):
 *   ReadReq: options = 1, ack = 2, nack = 3 (a oneof)
 *   Ack: id = 1 (bytes, unused), ids = 2 (repeated UUID)
 *   Nack: id = 1, ids = 2, action = 3 (enum), reason = 4 (string)
 *   UUID: structured = 1 {most = 1, least = 2 (int64)}, string = 2 (a oneof)
 * Only requests whose top level is exactly one ack or nack field take this
 * path; anything else (options, several fields, malformed bytes) is left to
 * the generated class, so what the server does with it is unchanged.
 */

export interface Settle {
  readonly kind: 'ack' | 'nack';
  /** Ids as `uuidText` reads them (read-event.ts); malformed ones are left out. */
  readonly ids: string[];
  /** Nack only: the raw action number and the reason. */
  readonly action: number;
  readonly reason: string;
}

class Malformed extends Error {}

class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * shift;
      if (b < 0x80) return result;
      shift *= 128;
    }
    throw new Malformed();
  }

  /** The 64 bits of an int64 varint, as an unsigned value. */
  bigVarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new Malformed();
  }

  /** Start and end of a length-delimited field's payload. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Malformed();
    this.pos = start + len;
    return [start, start + len];
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.span();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw new Malformed();
    if (this.pos > this.end) throw new Malformed();
  }
}

const hex64 = (v: bigint): string => v.toString(16).padStart(16, '0');

/** Text of a string field; non-ASCII bytes are left to the generated class (its UTF-8 decoder differs on bad input). */
function ascii(r: Reader): string {
  const [s, e] = r.span();
  for (let i = s; i < e; i++) if ((r.buf[i] as number) >= 0x80) throw new Malformed();
  return r.buf.toString('latin1', s, e);
}

/** A UUID message's id text; undefined when it carries none (empty string), as uuidText. */
function uuid(r: Reader): string | undefined {
  let text: string | undefined;
  let halves: [bigint, bigint] | undefined;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1) {
      if (wire !== 2) throw new Malformed();
      // A oneof: the last of structured / string wins; a repeated message field replaces the earlier one.
      const [s, e] = r.span();
      const inner = new Reader(r.buf, s, e);
      halves = [0n, 0n];
      text = undefined;
      while (inner.pos < inner.end) {
        const t = inner.varint();
        const f = Math.floor(t / 8);
        if (f === 1 || f === 2) {
          if ((t & 7) !== 0) throw new Malformed();
          halves[f - 1] = inner.bigVarint();
        } else inner.skip(t & 7);
      }
    } else if (field === 2) {
      if (wire !== 2) throw new Malformed();
      text = ascii(r);
      halves = undefined;
    } else {
      r.skip(wire);
    }
  }
  if (halves) {
    const hex = hex64(halves[0]) + hex64(halves[1]);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  if (text === undefined || text === '') return undefined;
  return text.toLowerCase();
}

function settle(kind: 'ack' | 'nack', r: Reader): Settle {
  const ids: string[] = [];
  let action = 0;
  let reason = '';
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2) {
      if (wire !== 2) throw new Malformed();
      const [s, e] = r.span();
      const id = uuid(new Reader(r.buf, s, e));
      if (id !== undefined) ids.push(id);
    } else if (kind === 'nack' && field === 3) {
      if (wire !== 0) throw new Malformed();
      // An enum is read as an int32.
      action = Number(BigInt.asIntN(32, r.bigVarint()));
    } else if (kind === 'nack' && field === 4) {
      if (wire !== 2) throw new Malformed();
      reason = ascii(r);
    } else if (field === 1 && wire !== 2) {
      throw new Malformed();
    } else {
      r.skip(wire);
    }
  }
  return { kind, ids, action, reason };
}

/** The ack or nack a request carries; undefined when it is anything else or not plainly formed. */
export function decodeSettle(buf: Buffer): Settle | undefined {
  try {
    const r = new Reader(buf, 0, buf.length);
    if (r.end === 0) return undefined;
    const tag = r.varint();
    if (tag !== ((2 << 3) | 2) && tag !== ((3 << 3) | 2)) return undefined;
    const [s, e] = r.span();
    // One field only: a request with more (e.g. options after an ack) is left to the generated class.
    if (r.pos !== r.end) return undefined;
    return settle(tag === ((2 << 3) | 2) ? 'ack' : 'nack', new Reader(buf, s, e));
  } catch (err) {
    if (err instanceof Malformed) return undefined;
    throw err;
  }
}
