import { crc32 } from 'node:zlib';
import type { RecordedEvent } from './types.js';

/**
 * One log record on disk:
 *   u32 payload length | u32 crc32(payload) | payload
 * payload:
 *   u8 format(1) | u64 revision | i64 created | 16 B event id | u8 content type
 *   | u16 stream length, stream | u16 type length, type
 *   | u32 data length, data | u32 metadata length, metadata
 * The position is not stored: it is the record's place in the log.
 */
export const FRAME_HEADER = 8;
const FORMAT = 1;
const FIXED = 1 + 8 + 8 + 16 + 1 + 2 + 2 + 4 + 4;
const CONTENT_TYPES = ['application/json', 'application/octet-stream'] as const;

const uuidBytes = (id: string, into: Buffer, at: number): void => {
  into.write(id.replace(/-/g, ''), at, 16, 'hex');
};

const uuidText = (b: Buffer, at: number): string => {
  const h = b.toString('hex', at, at + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export const encodeRecords = (records: readonly RecordedEvent[]): Buffer => {
  let size = 0;
  const parts = records.map((r) => {
    const stream = Buffer.from(r.streamId, 'utf8');
    const type = Buffer.from(r.type, 'utf8');
    size += FRAME_HEADER + FIXED + stream.length + type.length + r.data.length + r.metadata.length;
    return { r, stream, type };
  });
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (const { r, stream, type } of parts) {
    const start = o + FRAME_HEADER;
    let p = start;
    out.writeUInt8(FORMAT, p);
    out.writeBigUInt64LE(r.revision, p + 1);
    out.writeBigInt64LE(r.created, p + 9);
    uuidBytes(r.eventId, out, p + 17);
    out.writeUInt8(r.contentType === CONTENT_TYPES[0] ? 0 : 1, p + 33);
    p += 34;
    out.writeUInt16LE(stream.length, p);
    stream.copy(out, p + 2);
    p += 2 + stream.length;
    out.writeUInt16LE(type.length, p);
    type.copy(out, p + 2);
    p += 2 + type.length;
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

/** Decodes the frame at `at`; data and metadata are views into `b`. */
export const decodeRecord = (b: Buffer, at: number, position: bigint): DecodeResult => {
  if (b.length - at < FRAME_HEADER) return { kind: 'incomplete' };
  const len = b.readUInt32LE(at);
  if (len < FIXED || len > 512 * 1024 * 1024) return { kind: 'corrupt' };
  if (b.length - at - FRAME_HEADER < len) return { kind: 'incomplete' };
  const start = at + FRAME_HEADER;
  const payload = b.subarray(start, start + len);
  if (crc32(payload) !== b.readUInt32LE(at + 4) || payload.readUInt8(0) !== FORMAT) return { kind: 'corrupt' };
  let p = 34;
  const streamLen = payload.readUInt16LE(p);
  const streamId = payload.toString('utf8', p + 2, p + 2 + streamLen);
  p += 2 + streamLen;
  const typeLen = payload.readUInt16LE(p);
  const type = payload.toString('utf8', p + 2, p + 2 + typeLen);
  p += 2 + typeLen;
  const dataLen = payload.readUInt32LE(p);
  const data = payload.subarray(p + 4, p + 4 + dataLen);
  p += 4 + dataLen;
  const metaLen = payload.readUInt32LE(p);
  const metadata = payload.subarray(p + 4, p + 4 + metaLen);
  const record: RecordedEvent = {
    streamId,
    revision: payload.readBigUInt64LE(1),
    position,
    eventId: uuidText(payload, 17),
    type,
    contentType: CONTENT_TYPES[payload.readUInt8(33)] ?? CONTENT_TYPES[1],
    data,
    metadata,
    created: payload.readBigInt64LE(9),
  };
  return { kind: 'record', record, size: FRAME_HEADER + len };
};
