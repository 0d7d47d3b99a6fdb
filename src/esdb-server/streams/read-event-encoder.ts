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
export class ProtoWriter {
  private buf = Buffer.allocUnsafe(256);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  bigVarint(v: bigint): void {
    if (v <= 0x1fffffffffffffn) return this.varint(Number(v));
    this.ensure(10);
    while (v > 0x7fn) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }

  bytes(field: number, b: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, Buffer.from(s, 'utf8'));
  }

  uint64(field: number, v: bigint): void {
    this.varint(field << 3);
    this.bigVarint(v);
  }

  /** Writes a nested message built by `body` under `field`. */
  message(field: number, body: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    body(inner);
    this.bytes(field, inner.buf.subarray(0, inner.len));
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

const writeRecorded = (w: ProtoWriter, e: RecordedEvent): void => {
  w.message(1, (u) => u.string(2, e.eventId));
  w.message(2, (s) => s.string(3, e.streamId));
  if (e.revision !== 0n) w.uint64(3, e.revision);
  if (e.position !== 0n) {
    w.uint64(4, e.position);
    w.uint64(5, e.position);
  }
  const entry = (k: string, v: string): void =>
    w.message(6, (m) => {
      m.string(1, k);
      m.string(2, v);
    });
  entry('type', e.type);
  entry('content-type', e.contentType);
  entry('created', e.created.toString());
  if (e.metadata.length > 0) w.bytes(7, e.metadata);
  if (e.data.length > 0) w.bytes(8, e.data);
};

export const encodeEventResponse = (e: ResolvedEvent): Buffer => {
  const w = new ProtoWriter();
  w.message(1, (re) => {
    if (e.event !== undefined) re.message(1, (r) => writeRecorded(r, e.event as RecordedEvent));
    if (e.link !== undefined) re.message(2, (r) => writeRecorded(r, e.link as RecordedEvent));
    re.uint64(3, e.commitPosition);
  });
  return w.done();
};
