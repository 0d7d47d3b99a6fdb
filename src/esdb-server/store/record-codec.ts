import { crc32 } from 'node:zlib';
import { BY_CATEGORY, BY_EVENT_TYPE, ProjectedLink, type LinkStreams } from './system-projections.js';
import type { RecordedEvent } from './types.js';
import { AppendedRecord } from './appended-record.js';

/**
 * One log record on disk:
 *   u32 payload length | u32 crc32(payload) | payload
 * payload:
 *   u8 format(1) | u64 revision | i64 created | 16 B event id | u8 content type
 *   | u16 stream length, stream | u16 type length, type
 *   | u32 data length, data | u32 metadata length, metadata
 * or, for a `$ce-`/`$et-` link of the system projections (ProjectedLink):
 *   u8 format(2) | u64 revision | u64 target position | u8 kind (0 $ce-, 1 $et-)
 * (its stream, id, type, data, metadata and created time follow from its
 * kind, position and target).
 * The position is not stored: it is the record's place in the log.
 */
export const FRAME_HEADER = 8;
const FORMAT = 1;
const LINK_FORMAT = 2;
const FIXED = 1 + 8 + 8 + 16 + 1 + 2 + 2 + 4 + 4;
const LINK_SIZE = 1 + 8 + 8 + 1;
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

// A u64 that fits a double exactly (positions and link revisions), read without a BigInt.
const readSafeInteger = (b: Buffer, at: number): number => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 0x100000000;

const writeSafeInteger = (out: Buffer, v: number, at: number): void => {
  out.writeUInt32LE(v >>> 0, at);
  out.writeUInt32LE(Math.floor(v / 0x100000000), at + 4);
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

// Names (stream, event type) are short and nearly always ASCII: their
// UTF-8 length and bytes come from a character loop, which costs less than
// the calls into Buffer.byteLength and Buffer.write they replace (a
// string's UTF-8 length equals its length exactly when it is ASCII).
const SHORT_NAME = 64;
const utf8Length = (s: string): number => {
  if (s.length > SHORT_NAME) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return s.length;
};
const writeName = (out: Buffer, s: string, at: number, len: number): void => {
  if (len !== s.length || len > SHORT_NAME) out.write(s, at, len, 'utf8');
  else for (let i = 0; i < len; i++) out[at + i] = s.charCodeAt(i);
};

export const encodeRecords = (records: readonly RecordedEvent[]): Buffer => {
  let size = 0;
  const lengths = new Array<number>(records.length * 2);
  // The records of one append share their stream (and often their type): measure each name once.
  let stream = '';
  let streamLen = 0;
  let type = '';
  let typeLen = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordedEvent;
    if (r instanceof ProjectedLink) {
      size += FRAME_HEADER + LINK_SIZE;
      continue;
    }
    if (r.streamId !== stream || i === 0) {
      stream = r.streamId;
      streamLen = utf8Length(stream);
    }
    if (r.type !== type || i === 0) {
      type = r.type;
      typeLen = utf8Length(type);
    }
    lengths[2 * i] = streamLen;
    lengths[2 * i + 1] = typeLen;
    size += FRAME_HEADER + FIXED + streamLen + typeLen + r.data.length + r.metadata.length;
  }
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  // The records of one append share their created time: split it into 32-bit halves once.
  let created: bigint | undefined;
  let createdLow = 0;
  let createdHigh = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as RecordedEvent;
    const streamLen = lengths[2 * i] as number;
    const typeLen = lengths[2 * i + 1] as number;
    const start = o + FRAME_HEADER;
    let p = start;
    if (r instanceof AppendedRecord) writeSafeInteger(out, r.revisionNumber, p + 1);
    else writeRevision(out, r.revision, p + 1);
    if (r instanceof ProjectedLink) {
      out[p] = LINK_FORMAT;
      writeRevision(out, r.target.position, p + 9);
      out[p + 17] = r.kind;
      p += LINK_SIZE;
      out.writeUInt32LE(LINK_SIZE, o);
      out.writeUInt32LE(checksum(out, start, p), o + 4);
      o = p;
      continue;
    }
    if (r.created !== created) {
      created = r.created;
      const bits = BigInt.asUintN(64, created);
      createdLow = Number(bits & 0xffffffffn);
      createdHigh = Number(bits >> 32n);
    }
    out[p] = FORMAT;
    out.writeUInt32LE(createdLow, p + 9);
    out.writeUInt32LE(createdHigh, p + 13);
    uuidBytes(r.eventId, out, p + 17);
    out[p + 33] = r.contentType === CONTENT_TYPES[0] ? 0 : 1;
    p += 34;
    out.writeUInt16LE(streamLen, p);
    writeName(out, r.streamId, p + 2, streamLen);
    p += 2 + streamLen;
    out.writeUInt16LE(typeLen, p);
    writeName(out, r.type, p + 2, typeLen);
    p += 2 + typeLen;
    out.writeUInt32LE(r.data.length, p);
    out.set(r.data, p + 4);
    p += 4 + r.data.length;
    out.writeUInt32LE(r.metadata.length, p);
    out.set(r.metadata, p + 4);
    p += 4 + r.metadata.length;
    out.writeUInt32LE(p - start, o);
    out.writeUInt32LE(checksum(out, start, p), o + 4);
    o = p;
  }
  return out;
};

/** Not enough bytes for a whole frame (a torn tail, or the next chunk is needed). */
export const INCOMPLETE = 0;
/** A frame whose length, checksum or contents are wrong. */
export const CORRUPT = 1;
export type DecodeResult = RecordedEvent | typeof INCOMPLETE | typeof CORRUPT;

/** The largest frame a resync scan looks for (an append is at most 1 MiB; one record never more). */
export const MAX_RESYNC_FRAME = 16 * 1024 * 1024;

/**
 * Whether a whole, checksummed frame of a known format starts at `at` (it
 * need not decode: its link target, say, may be unknown). Used to tell a
 * torn tail, after which nothing whole follows, from damage in the middle
 * of the log.
 */
export const isWholeFrame = (b: Buffer, at: number): boolean => {
  if (b.length - at < FRAME_HEADER + LINK_SIZE) return false;
  const len = b.readUInt32LE(at);
  if (len < LINK_SIZE || len > MAX_RESYNC_FRAME || b.length - at - FRAME_HEADER < len) return false;
  const start = at + FRAME_HEADER;
  const format = b[start];
  if (format !== FORMAT && format !== LINK_FORMAT) return false;
  return checksum(b, start, start + len) === b.readUInt32LE(at + 4);
};

/** Bytes taken by the frame at `at` (header included), once decodeRecord accepted it. */
export const frameSize = (b: Buffer, at: number): number => FRAME_HEADER + b.readUInt32LE(at);

// zlib's crc32 (IEEE, reflected 0xEDB88320) costs ~250-700 ns per call here
// whatever the length, most of it the call and the view it needs; most
// frames are short (links 18 bytes, a small event ~100), so frames up to
// SHORT_FRAME bytes are summed in JS, four bytes a step ("slicing by 4":
// table k advances the crc over a byte followed by k zero bytes), which
// measured 2-3x faster than zlib at 90 bytes (tested against zlib).
const CRC_TABLES = new Int32Array(4 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLES[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 4; t++) {
    const prev = CRC_TABLES[(t - 1) * 256 + n] as number;
    CRC_TABLES[t * 256 + n] = (prev >>> 8) ^ (CRC_TABLES[prev & 0xff] as number);
  }
}
const SHORT_FRAME = 256;
export const checksum = (b: Buffer, start: number, end: number): number => {
  if (end - start > SHORT_FRAME) return crc32(b.subarray(start, end));
  const t = CRC_TABLES;
  let c = -1;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
    c = (t[768 + (c & 0xff)] as number) ^ (t[512 + ((c >>> 8) & 0xff)] as number) ^ (t[256 + ((c >>> 16) & 0xff)] as number) ^ (t[c >>> 24] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (b[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
};

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

/** What decoding needs besides the bytes: earlier records (a link's target) and shared names. */
export interface DecodeContext {
  recordAt(position: number): RecordedEvent | undefined;
  readonly names: Interner;
  readonly links: LinkStreams;
}

/** Decodes the frame at `at`; the record reads its fields from `b` lazily. */
export const decodeRecord = (b: Buffer, at: number, position: number, ctx: DecodeContext): DecodeResult => {
  if (b.length - at < FRAME_HEADER) return INCOMPLETE;
  const len = b.readUInt32LE(at);
  if (len < LINK_SIZE || len > 512 * 1024 * 1024) return CORRUPT;
  if (b.length - at - FRAME_HEADER < len) return INCOMPLETE;
  const start = at + FRAME_HEADER;
  if (checksum(b, start, start + len) !== b.readUInt32LE(at + 4)) return CORRUPT;
  const format = b[start];
  if (format === LINK_FORMAT) {
    const target = ctx.recordAt(readSafeInteger(b, start + 9));
    const kind = b[start + 17];
    if (len !== LINK_SIZE || target === undefined || (kind !== BY_CATEGORY && kind !== BY_EVENT_TYPE)) return CORRUPT;
    const streamId = ctx.links.of(kind, target);
    if (streamId === undefined) return CORRUPT;
    return new ProjectedLink(streamId, kind, readSafeInteger(b, start + 1), position, target);
  }
  if (format !== FORMAT || len < FIXED) return CORRUPT;
  let p = start + 34;
  const streamLen = b.readUInt16LE(p);
  const streamId = b.toString('utf8', p + 2, p + 2 + streamLen);
  p += 2 + streamLen;
  const typeLen = b.readUInt16LE(p);
  const type = b.toString('utf8', p + 2, p + 2 + typeLen);
  p += 2 + typeLen;
  return new StoredRecord(b, start, ctx.names.intern(streamId), ctx.names.intern(type), position, p - start);
};
