/**
 * Protobuf wire reading of EventStoreDB's `RecordedEvent`, shared by the
 * lean decoders of `$all` reads (rebuild-read-codec.ts), stream reads
 * (stream-read-codec.ts) and persistent deliveries (persistent-read-codec.ts):
 * streams.proto and persistent.proto number it the same way. It yields the values the client's own conversion
 * would (convertGrpcRecord in @eventstore/db-client: JSON data and metadata
 * parsed, the raw string or bytes when they do not parse; `created` from
 * .NET ticks); the unit tests compare both on the same bytes.
 * Field numbers:
 *   RecordedEvent: id 1, stream_identifier 2, stream_revision 3,
 *     prepare_position 4, commit_position 5, metadata 6 (map<string, string>:
 *     key 1, value 2), custom_metadata 7, data 8
 *   UUID: structured 1 (most 1, least 2) or string 2; StreamIdentifier: stream_name 3
 */

/** A RecordedEvent's fields; data and metadata as ranges of the buffer, converted on demand. */
export type RecordedFields = {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly commit: bigint;
  readonly prepare: bigint;
  readonly type: string;
  readonly contentType: string;
  readonly created: string | undefined;
  readonly metadata: readonly [number, number];
  readonly data: readonly [number, number];
};

export function readRecorded(r: WireReader, end: number): RecordedFields {
  const buf = r.buf;
  let eventId = '';
  let streamId = '';
  let revision = 0n;
  let commit = 0n;
  let prepare = 0n;
  let type = '<no-event-type-provided>';
  let contentType = 'application/octet-stream';
  let created: string | undefined;
  let metadata: [number, number] = [0, 0];
  let data: [number, number] = [0, 0];
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 2:
        eventId = uuid(r, r.end());
        break;
      case (2 << 3) | 2: {
        const e = r.end();
        while (r.pos < e) {
          const t = r.varint();
          if (t === ((3 << 3) | 2)) {
            const s = r.end();
            streamId = buf.toString('utf8', r.pos, s);
            r.pos = s;
          } else r.skip(t & 7);
        }
        break;
      }
      case 3 << 3:
        revision = r.u64();
        break;
      case 4 << 3:
        prepare = r.u64();
        break;
      case 5 << 3:
        commit = r.u64();
        break;
      case (6 << 3) | 2: {
        const [key, value] = mapEntry(r, r.end());
        if (key === 'type') type = value;
        else if (key === 'content-type') contentType = value;
        else if (key === 'created') created = value;
        break;
      }
      case (7 << 3) | 2: {
        const e = r.end();
        metadata = [r.pos, e];
        r.pos = e;
        break;
      }
      case (8 << 3) | 2: {
        const e = r.end();
        data = [r.pos, e];
        r.pos = e;
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return { eventId, streamId, revision, commit, prepare, type, contentType, created, metadata, data };
}

/** The event's data as the client gives it: parsed JSON (the text when it does not parse), or the bytes when not JSON. */
export function dataOf(buf: Buffer, f: RecordedFields): unknown {
  if (f.contentType !== 'application/json') return new Uint8Array(buf.subarray(f.data[0], f.data[1]));
  const text = buf.toString('utf8', f.data[0], f.data[1]);
  return parseJson(text, text);
}

/** The custom metadata as the client gives it: undefined when empty, parsed JSON, or the bytes when it does not parse. */
export function metadataOf(buf: Buffer, f: RecordedFields): unknown {
  const [start, end] = f.metadata;
  if (start === end) return undefined;
  return parseJson(buf.toString('utf8', start, end), new Uint8Array(buf.subarray(start, end)));
}

/** .NET ticks (100 ns) since the Unix epoch; the epoch itself when missing or unreadable. */
export function ticksToDate(ticks: string | undefined): Date {
  try {
    return new Date(ticks === undefined ? 0 : Number(BigInt(ticks) / 10_000n));
  } catch {
    return new Date(0);
  }
}

function parseJson(text: string, fallback: unknown): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

function mapEntry(r: WireReader, end: number): [string, string] {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2) || tag === ((2 << 3) | 2)) {
      const e = r.end();
      const s = r.buf.toString('utf8', r.pos, e);
      r.pos = e;
      if (tag >>> 3 === 1) key = s;
      else value = s;
    } else r.skip(tag & 7);
  }
  return [key, value];
}

export function uuid(r: WireReader, end: number): string {
  let most = 0n;
  let least = 0n;
  let text: string | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) {
      const e = r.end();
      while (r.pos < e) {
        const t = r.varint();
        if (t === 1 << 3) most = r.u64();
        else if (t === 2 << 3) least = r.u64();
        else r.skip(t & 7);
      }
    } else if (tag === ((2 << 3) | 2)) {
      const e = r.end();
      text = r.buf.toString('utf8', r.pos, e);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  if (text !== undefined) return text;
  const hex = most.toString(16).padStart(16, '0') + least.toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A `ReadResp` as the lean decoders read it: its top-level message fields in
 * order until `field` answers for one (by field number); other fields are
 * skipped. `undefined` when none did. Every `ReadResp` is a oneof, so the
 * first answer is the message.
 */
export function readOneof<T>(buf: Buffer, field: (fieldNumber: number, r: WireReader, end: number) => T | undefined): T | undefined {
  const r = new WireReader(buf);
  while (r.pos < buf.length) {
    const tag = r.varint();
    if ((tag & 7) !== 2) {
      r.skip(tag & 7);
      continue;
    }
    const end = r.end();
    const answer = field(tag >>> 3, r, end);
    if (answer !== undefined) return answer;
    r.pos = end;
  }
  return undefined;
}

/** Protobuf wire reading over one buffer; nested messages are ranges of it. */
export class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** A varint up to 2^53 (tags and lengths). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 49) throw new RangeError('varint too long');
    }
  }

  /** A uint64 varint (revisions, positions; int64 UUID halves as their 64 bits). */
  u64(): bigint {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    // Up to 49 bits add up exactly in a double: the usual case, without a BigInt per byte.
    for (let i = 0; i < 7 && this.pos < this.buf.length; i++) {
      const b = this.buf[this.pos++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return BigInt(value);
      scale *= 128;
    }
    this.pos = start;
    let big = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      big |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, big);
    }
    throw new RangeError('varint too long');
  }

  /** Reads a length prefix and returns where that field ends. */
  end(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new RangeError('truncated field');
    return end;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.u64();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos = this.end();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wireType}`);
  }
}
