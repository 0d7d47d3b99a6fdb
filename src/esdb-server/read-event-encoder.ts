import { FRAME_HEADER } from './grpc-frames.js';
import type { RecordedEvent, ResolvedEvent } from './store/types.js';

/**
 * Hand-written protobuf encoding of `ReadResp{event}`, the message every
 * read, catch-up subscription (streams.proto) and persistent delivery
 * (persistent.proto) sends per event; both files number these messages the
 * same way, persistent adding the retry count. Building it with
 * google-protobuf's object model and serializing it was the server's
 * largest CPU cost per event, so it is written straight to bytes, sizes
 * first, into one exactly-sized buffer. The bytes are those the generated
 * classes produce for the same message (compared in
 * test/esdb/persistent-codecs.unit.test.ts and wire-codecs.unit.test.ts).
 * Field numbers:
 *   ReadResp.event = 1
 *   ReadEvent: event = 1, link = 2, commit_position = 3, retry_count = 5
 *     (persistent only; both in oneofs: written even when zero)
 *   RecordedEvent: id = 1, stream_identifier = 2, stream_revision = 3,
 *     prepare_position = 4, commit_position = 5, metadata (map) = 6,
 *     custom_metadata = 7, data = 8 (zero / empty values omitted)
 *   UUID: structured = 1 {most = 1, least = 2 (int64, omitted when zero)}, string = 2
 *   StreamIdentifier.stream_name = 3 (omitted when empty)
 * Map entries go out in sorted key order, as google-protobuf writes them.
 */

const numberVarintSize = (v: number): number => {
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
};
const varintSize = (v: bigint): number => {
  if (v <= 0x1fffffffffffffn) return numberVarintSize(Number(v));
  let n = 1;
  let x = v;
  while (x > 0x7fn) {
    x >>= 7n;
    n++;
  }
  return n;
};
const smallVarintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
/** Tag byte + length varint + payload, for a length-delimited field numbered below 16. */
const fieldSize = (len: number): number => 1 + smallVarintSize(len) + len;

/** The two signed 64-bit halves of a uuid (UUID.Structured), as the unsigned values their varints carry. */
const structuredHalves = (id: string): [bigint, bigint] => {
  const hex = id.replace(/-/g, '');
  const half = (h: string): bigint => BigInt.asUintN(64, BigInt.asIntN(64, BigInt(`0x${h || '0'}`)));
  return [half(hex.slice(0, 16)), half(hex.slice(16, 32))];
};

interface Layout {
  readonly e: RecordedEvent;
  // Read once: a link's id, data and metadata are derived on each access.
  readonly eventId: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  readonly idLen: number;
  /** Structured id halves, when asked for. */
  readonly halves: [bigint, bigint] | undefined;
  /** Size of UUID.Structured (structured ids only). */
  readonly structuredSize: number;
  /** Size of the UUID message. */
  readonly idBody: number;
  readonly stream: number;
  readonly type: number;
  readonly contentType: number;
  readonly created: string;
  readonly size: number;
}

const CONTENT_TYPE_KEY = 'content-type';
const CREATED_KEY = 'created';
const TYPE_KEY = 'type';
const entrySize = (k: number, v: number): number => fieldSize(fieldSize(k) + fieldSize(v));

function layout(e: RecordedEvent, structured: boolean): Layout {
  const eventId = e.eventId;
  const data = e.data;
  const metadata = e.metadata;
  let idLen = 0;
  let halves: [bigint, bigint] | undefined;
  let structuredSize = 0;
  let idBody: number;
  if (structured) {
    halves = structuredHalves(eventId);
    if (halves[0] !== 0n) structuredSize += 1 + varintSize(halves[0]);
    if (halves[1] !== 0n) structuredSize += 1 + varintSize(halves[1]);
    idBody = fieldSize(structuredSize);
  } else {
    idLen = Buffer.byteLength(eventId, 'utf8');
    idBody = fieldSize(idLen);
  }
  const stream = Buffer.byteLength(e.streamId, 'utf8');
  const type = Buffer.byteLength(e.type, 'utf8');
  const contentType = Buffer.byteLength(e.contentType, 'utf8');
  const created = e.created.toString();
  let size = fieldSize(idBody) + fieldSize(stream > 0 ? fieldSize(stream) : 0);
  if (e.revision !== 0n) size += 1 + varintSize(e.revision);
  if (e.position !== 0n) size += 2 * (1 + varintSize(e.position));
  size += entrySize(CONTENT_TYPE_KEY.length, contentType) + entrySize(CREATED_KEY.length, created.length) + entrySize(TYPE_KEY.length, type);
  if (metadata.length > 0) size += fieldSize(metadata.length);
  if (data.length > 0) size += fieldSize(data.length);
  return { e, eventId, data, metadata, idLen, halves, structuredSize, idBody, stream, type, contentType, created, size };
}

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(v: number): void {
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bigVarint(v: bigint): void {
    if (v <= 0x1fffffffffffffn) return this.varint(Number(v));
    let x = v;
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  head(field: number, len: number): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(len);
  }
  str(field: number, s: string, len: number): void {
    this.head(field, len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
  bytes(field: number, b: Uint8Array): void {
    this.head(field, b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** A `metadata` map entry (keys are ASCII). */
function writeEntry(o: Out, k: string, v: string, vLen: number): void {
  o.head(6, fieldSize(k.length) + fieldSize(vLen));
  o.str(1, k, k.length);
  o.str(2, v, vLen);
}

function writeRecorded(o: Out, l: Layout): void {
  const e = l.e;
  o.head(1, l.idBody);
  if (l.halves) {
    o.head(1, l.structuredSize);
    const [most, least] = l.halves;
    if (most !== 0n) {
      o.buf[o.pos++] = 1 << 3;
      o.bigVarint(most);
    }
    if (least !== 0n) {
      o.buf[o.pos++] = 2 << 3;
      o.bigVarint(least);
    }
  } else {
    o.str(2, l.eventId, l.idLen);
  }
  if (l.stream > 0) {
    o.head(2, fieldSize(l.stream));
    o.str(3, e.streamId, l.stream);
  } else {
    o.head(2, 0);
  }
  if (e.revision !== 0n) {
    o.buf[o.pos++] = 3 << 3;
    o.bigVarint(e.revision);
  }
  if (e.position !== 0n) {
    o.buf[o.pos++] = 4 << 3;
    o.bigVarint(e.position);
    o.buf[o.pos++] = 5 << 3;
    o.bigVarint(e.position);
  }
  writeEntry(o, CONTENT_TYPE_KEY, e.contentType, l.contentType);
  writeEntry(o, CREATED_KEY, l.created, l.created.length);
  writeEntry(o, TYPE_KEY, e.type, l.type);
  if (l.metadata.length > 0) o.bytes(7, l.metadata);
  if (l.data.length > 0) o.bytes(8, l.data);
}


export interface ReadEventEncoding {
  /** The subscriber's `uuid_option`: ids as UUID.Structured rather than strings. */
  readonly structuredIds: boolean;
  /** Persistent deliveries: how often the message went out unacknowledged. */
  readonly retryCount?: number;
  /** Put the gRPC frame header in front, in the same buffer (see ResponseFrames.sendFramed). */
  readonly framed: boolean;
}

/** `ReadResp{event}` for one event (and its link), optionally framed. */
export function encodeReadEvent(e: ResolvedEvent, how: ReadEventEncoding): Buffer {
  const event = e.event === undefined ? undefined : layout(e.event, how.structuredIds);
  const link = e.link === undefined ? undefined : layout(e.link, how.structuredIds);
  // int32 retry_count: a negative value (never sent) would go out sign-extended to 64 bits.
  const retry =
    how.retryCount === undefined ? undefined : how.retryCount >= 0 ? how.retryCount : BigInt.asUintN(64, BigInt(how.retryCount));
  const readEventSize =
    (event === undefined ? 0 : fieldSize(event.size)) +
    (link === undefined ? 0 : fieldSize(link.size)) +
    1 +
    varintSize(e.commitPosition) +
    (retry === undefined ? 0 : 1 + (typeof retry === 'number' ? numberVarintSize(retry) : varintSize(retry)));
  const total = fieldSize(readEventSize);
  const header = how.framed ? FRAME_HEADER : 0;
  const o = new Out(Buffer.allocUnsafe(header + total));
  if (how.framed) {
    o.buf[0] = 0;
    o.buf.writeUInt32BE(total, 1);
    o.pos = FRAME_HEADER;
  }
  o.head(1, readEventSize);
  if (event !== undefined) {
    o.head(1, event.size);
    writeRecorded(o, event);
  }
  if (link !== undefined) {
    o.head(2, link.size);
    writeRecorded(o, link);
  }
  o.buf[o.pos++] = 3 << 3;
  o.bigVarint(e.commitPosition);
  if (retry !== undefined) {
    o.buf[o.pos++] = 5 << 3;
    if (typeof retry === 'number') o.varint(retry);
    else o.bigVarint(retry);
  }
  if (o.pos !== o.buf.length) throw new Error(`read event encoded to ${o.pos} bytes, ${o.buf.length} expected`);
  return o.buf;
}
