import { crc32 } from 'node:zlib';
import { ProjectedLink } from './system-projections.js';
import type { RecordedEvent } from './types.js';

/**
 * One log record on disk:
 *   u32 payload length | u32 crc32(payload) | payload
 * payload:
 *   u8 format(1) | u64 revision | i64 created | 16 B event id | u8 content type
 *   | u16 stream length, stream | u16 type length, type
 *   | u32 data length, data | u32 metadata length, metadata
 * or, for a `$ce-`/`$et-` link of the system projections (ProjectedLink):
 *   u8 format(2) | u64 revision | i64 created | u64 target position
 *   | u16 stream length, stream
 * (its id, type, data and metadata follow from its position and target).
 * The position is not stored: it is the record's place in the log.
 */
export const FRAME_HEADER = 8;
const FORMAT = 1;
const LINK_FORMAT = 2;
const FIXED = 1 + 8 + 8 + 16 + 1 + 2 + 2 + 4 + 4;
const LINK_FIXED = 1 + 8 + 8 + 8 + 2;
const CONTENT_TYPES = ['application/json', 'application/octet-stream'] as const;

// Canonical text form 8-4-4-4-12 (lower-case hex), parsed in place.
const NIBBLE = new Int8Array(128).fill(0);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}
const uuidBytes = (id: string, into: Buffer, at: number): void => {
  let c = 0;
  for (let b = 0; b < 16; b++) {
    if (c === 8 || c === 13 || c === 18 || c === 23) c++;
    into[at + b] = ((NIBBLE[id.charCodeAt(c)] ?? 0) << 4) | (NIBBLE[id.charCodeAt(c + 1)] ?? 0);
    c += 2;
  }
};

// Most revisions fit 32 bits; the BigInt writer is only needed beyond.
const writeRevision = (out: Buffer, v: bigint, at: number): void => {
  if (v < 0x100000000n) {
    out.writeUInt32LE(Number(v), at);
    out.writeUInt32LE(0, at + 4);
  } else out.writeBigUInt64LE(v, at);
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const uuidText = (b: Buffer, at: number): string => {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[b[at + i] as number];
  }
  return s;
};

export const encodeRecords = (records: readonly RecordedEvent[]): Buffer => {
  let size = 0;
  const lengths = new Array<number>(records.length * 2);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordedEvent;
    const streamLen = Buffer.byteLength(r.streamId, 'utf8');
    lengths[2 * i] = streamLen;
    if (r instanceof ProjectedLink) {
      size += FRAME_HEADER + LINK_FIXED + streamLen;
      continue;
    }
    const typeLen = Buffer.byteLength(r.type, 'utf8');
    lengths[2 * i + 1] = typeLen;
    size += FRAME_HEADER + FIXED + streamLen + typeLen + r.data.length + r.metadata.length;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  // The records of one append share their created time: encode it once.
  let created: bigint | undefined;
  const createdBytes = Buffer.alloc(8);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordedEvent;
    const streamLen = lengths[2 * i] as number;
    const typeLen = lengths[2 * i + 1] as number;
    const start = o + FRAME_HEADER;
    let p = start;
    writeRevision(out, r.revision, p + 1);
    if (r.created !== created) {
      created = r.created;
      createdBytes.writeBigInt64LE(created, 0);
    }
    createdBytes.copy(out, p + 9);
    if (r instanceof ProjectedLink) {
      out.writeUInt8(LINK_FORMAT, p);
      writeRevision(out, r.target.position, p + 17);
      out.writeUInt16LE(streamLen, p + 25);
      out.write(r.streamId, p + 27, streamLen, 'utf8');
      p += LINK_FIXED + streamLen;
      out.writeUInt32LE(p - start, o);
      out.writeUInt32LE(crc32(out.subarray(start, p)), o + 4);
      o = p;
      continue;
    }
    out.writeUInt8(FORMAT, p);
    uuidBytes(r.eventId, out, p + 17);
    out.writeUInt8(r.contentType === CONTENT_TYPES[0] ? 0 : 1, p + 33);
    p += 34;
    out.writeUInt16LE(streamLen, p);
    out.write(r.streamId, p + 2, streamLen, 'utf8');
    p += 2 + streamLen;
    out.writeUInt16LE(typeLen, p);
    out.write(r.type, p + 2, typeLen, 'utf8');
    p += 2 + typeLen;
    out.writeUInt32LE(r.data.length, p);
    out.set(r.data, p + 4);
    p += 4 + r.data.length;
    out.writeUInt32LE(r.metadata.length, p);
    out.set(r.metadata, p + 4);
    p += 4 + r.metadata.length;
    out.writeUInt32LE(p - start, o);
    out.writeUInt32LE(crc32(out.subarray(start, p)), o + 4);
    o = p;
  }
  return out;
};

export type DecodeResult =
  | { readonly kind: 'record'; readonly record: RecordedEvent; readonly size: number }
  /** Not enough bytes for a whole frame (a torn tail, or the next chunk is needed). */
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'corrupt' };

/**
 * A record recovered from disk. Only the names and the position live on the
 * object; everything else is read from the log chunk when asked, which keeps
 * a million recovered events to a fraction of the memory of plain objects.
 * (Fields are prototype getters: spread `{...record}` does not copy them.)
 */
class StoredRecord implements RecordedEvent {
  constructor(
    /** The log chunk holding this record's payload, starting at `at`. */
    private readonly chunk: Buffer,
    private readonly at: number,
    readonly streamId: string,
    readonly type: string,
    private readonly pos: number,
    /** Offset of the data length field, from `at`. */
    private readonly dataAt: number,
  ) {}

  get position(): bigint {
    return BigInt(this.pos);
  }
  get revision(): bigint {
    return this.chunk.readBigUInt64LE(this.at + 1);
  }
  get created(): bigint {
    return this.chunk.readBigInt64LE(this.at + 9);
  }
  get eventId(): string {
    return uuidText(this.chunk, this.at + 17);
  }
  get contentType(): string {
    return CONTENT_TYPES[this.chunk.readUInt8(this.at + 33)] ?? CONTENT_TYPES[1];
  }
  get data(): Uint8Array {
    const at = this.at + this.dataAt;
    return this.chunk.subarray(at + 4, at + 4 + this.chunk.readUInt32LE(at));
  }
  get metadata(): Uint8Array {
    const at = this.at + this.dataAt + 4 + this.chunk.readUInt32LE(this.at + this.dataAt);
    return this.chunk.subarray(at + 4, at + 4 + this.chunk.readUInt32LE(at));
  }
}

/** Shares one string per distinct stream name / event type across recovered records. */
export class Interner {
  private readonly strings = new Map<string, string>();
  intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

/**
 * Decodes the frame at `at`; the record reads its fields from `b` lazily.
 * A link's target is an earlier record, found with `recordAt`.
 */
export const decodeRecord = (
  b: Buffer,
  at: number,
  position: bigint,
  recordAt: (position: number) => RecordedEvent | undefined,
  names?: Interner,
): DecodeResult => {
  if (b.length - at < FRAME_HEADER) return { kind: 'incomplete' };
  const len = b.readUInt32LE(at);
  if (len < LINK_FIXED || len > 512 * 1024 * 1024) return { kind: 'corrupt' };
  if (b.length - at - FRAME_HEADER < len) return { kind: 'incomplete' };
  const start = at + FRAME_HEADER;
  if (crc32(b.subarray(start, start + len)) !== b.readUInt32LE(at + 4)) return { kind: 'corrupt' };
  const format = b.readUInt8(start);
  if (format === LINK_FORMAT) {
    const streamLen = b.readUInt16LE(start + 25);
    const target = recordAt(Number(b.readBigUInt64LE(start + 17)));
    if (target === undefined || LINK_FIXED + streamLen !== len) return { kind: 'corrupt' };
    const streamId = b.toString('utf8', start + 27, start + 27 + streamLen);
    const record = new ProjectedLink(
      names === undefined ? streamId : names.intern(streamId),
      Number(b.readBigUInt64LE(start + 1)),
      Number(position),
      b.readBigInt64LE(start + 9),
      target,
    );
    return { kind: 'record', record, size: FRAME_HEADER + len };
  }
  if (format !== FORMAT || len < FIXED) return { kind: 'corrupt' };
  let p = start + 34;
  const streamLen = b.readUInt16LE(p);
  const streamId = b.toString('utf8', p + 2, p + 2 + streamLen);
  p += 2 + streamLen;
  const typeLen = b.readUInt16LE(p);
  const type = b.toString('utf8', p + 2, p + 2 + typeLen);
  p += 2 + typeLen;
  const record = new StoredRecord(
    b,
    start,
    names === undefined ? streamId : names.intern(streamId),
    names === undefined ? type : names.intern(type),
    Number(position),
    p - start,
  );
  return { kind: 'record', record, size: FRAME_HEADER + len };
};
