import type { RecordedEvent, ResolvedEvent } from '../store/types.js';

/**
 * Hand-written protobuf encoding of `ReadResp{event}`, the message every read
 * and subscription sends per event. google-protobuf's object model costs
 * more CPU per event than everything else on the read path, so events are
 * written straight to bytes; the wire format is the one the generated
 * classes produce (field numbers from streams.proto / shared.proto):
 *   ReadResp.event = 1
 *   ReadEvent: event = 1, link = 2, commit_position = 3
 *   RecordedEvent: id = 1, stream_identifier = 2, stream_revision = 3,
 *     prepare_position = 4, commit_position = 5, metadata (map) = 6,
 *     custom_metadata = 7, data = 8
 *   UUID.string = 2, StreamIdentifier.stream_name = 3
 */
// Sizes first, then one buffer written front to back: no nested writers or
// copies per event (this runs once per event read or delivered).
const varintSize = (v: number | bigint): number => {
  let n = 1;
  let x = BigInt(v);
  while (x > 0x7fn) {
    x >>= 7n;
    n++;
  }
  return n;
};
const smallVarintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);
const fieldSize = (len: number): number => 1 + smallVarintSize(len) + len;

interface RecordedLayout {
  readonly e: RecordedEvent;
  readonly stream: number;
  readonly type: number;
  readonly contentType: number;
  readonly created: string;
  readonly size: number;
}

const UUID_FIELD = fieldSize(fieldSize(36));
const layout = (e: RecordedEvent): RecordedLayout => {
  const stream = Buffer.byteLength(e.streamId, 'utf8');
  const type = Buffer.byteLength(e.type, 'utf8');
  const contentType = Buffer.byteLength(e.contentType, 'utf8');
  const created = e.created.toString();
  const entry = (k: number, v: number): number => fieldSize(fieldSize(k) + fieldSize(v));
  let size = UUID_FIELD + fieldSize(fieldSize(stream));
  if (e.revision !== 0n) size += 1 + varintSize(e.revision);
  if (e.position !== 0n) size += 2 * (1 + varintSize(e.position));
  size += entry(4, type) + entry(12, contentType) + entry(7, created.length);
  if (e.metadata.length > 0) size += fieldSize(e.metadata.length);
  if (e.data.length > 0) size += fieldSize(e.data.length);
  return { e, stream, type, contentType, created, size };
};

class Out {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  varint(v: number | bigint): void {
    if (typeof v === 'number' && v < 0x80) {
      this.buf[this.pos++] = v;
      return;
    }
    let x = BigInt(v);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }
  str(field: number, s: string, len: number): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
  bytes(field: number, b: Uint8Array): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  head(field: number, len: number): void {
    this.buf[this.pos++] = (field << 3) | 2;
    this.varint(len);
  }
}

const writeRecorded = (o: Out, l: RecordedLayout): void => {
  const e = l.e;
  o.head(1, fieldSize(36));
  o.str(2, e.eventId, 36);
  o.head(2, fieldSize(l.stream));
  o.str(3, e.streamId, l.stream);
  if (e.revision !== 0n) {
    o.buf[o.pos++] = 3 << 3;
    o.varint(e.revision);
  }
  if (e.position !== 0n) {
    o.buf[o.pos++] = 4 << 3;
    o.varint(e.position);
    o.buf[o.pos++] = 5 << 3;
    o.varint(e.position);
  }
  const entry = (k: string, v: string, vLen: number): void => {
    o.head(6, fieldSize(k.length) + fieldSize(vLen));
    o.str(1, k, k.length);
    o.str(2, v, vLen);
  };
  entry('type', e.type, l.type);
  entry('content-type', e.contentType, l.contentType);
  entry('created', l.created, l.created.length);
  if (e.metadata.length > 0) o.bytes(7, e.metadata);
  if (e.data.length > 0) o.bytes(8, e.data);
};

export const encodeEventResponse = (e: ResolvedEvent): Buffer => {
  const event = e.event === undefined ? undefined : layout(e.event);
  const link = e.link === undefined ? undefined : layout(e.link);
  const readEventSize =
    (event === undefined ? 0 : fieldSize(event.size)) + (link === undefined ? 0 : fieldSize(link.size)) + 1 + varintSize(e.commitPosition);
  const o = new Out(Buffer.allocUnsafe(fieldSize(readEventSize)));
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
  o.varint(e.commitPosition);
  if (o.pos !== o.buf.length) throw new Error(`read event encoded to ${o.pos} bytes, ${o.buf.length} expected`);
  return o.buf;
};
