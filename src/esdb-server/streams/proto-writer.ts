/** A small growable protobuf wire writer, for messages built rarely enough that sizing first is not worth it. */
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
