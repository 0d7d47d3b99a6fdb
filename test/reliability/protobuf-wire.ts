/**
 * A protobuf wire writer small enough to get wrong on purpose: the fuzz
 * suite builds messages field by field so it can break them in ways the
 * generated code never would (wrong wire types, overlong varints, cuts).
 */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** Unsigned LEB128 of the value's 64-bit two's complement (negative ints take 10 bytes, as protobuf does). */
export function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return Buffer.from(out);
}

/** A varint of `length` bytes that never terminates within 10 bytes: malformed for every decoder. */
export const overlongVarint = (length: number): Buffer => Buffer.alloc(length, 0xff);

export const tag = (field: number, wireType: number): Buffer => varint((BigInt(field) << 3n) | BigInt(wireType));

export const varintField = (field: number, value: bigint): Buffer => Buffer.concat([tag(field, WireType.VARINT), varint(value)]);

export const lenField = (field: number, bytes: Buffer): Buffer =>
  Buffer.concat([tag(field, WireType.LEN), varint(BigInt(bytes.length)), bytes]);

export const stringField = (field: number, text: string): Buffer => lenField(field, Buffer.from(text, 'utf8'));

export const fixed64Field = (field: number, bytes: Buffer): Buffer => Buffer.concat([tag(field, WireType.I64), bytes.subarray(0, 8)]);

export const fixed32Field = (field: number, bytes: Buffer): Buffer => Buffer.concat([tag(field, WireType.I32), bytes.subarray(0, 4)]);
