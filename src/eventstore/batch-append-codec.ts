import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { AppendExpectedRevision, EventData } from '@eventstore/db-client';
import { WireReader, uuid } from './recorded-event-wire.js';

/**
 * EventStoreDB's `BatchAppendReq` written and `BatchAppendResp` read
 * straight from bytes, for the values the client's batchAppend sends and
 * reads through google-protobuf objects (about a quarter of the transfer
 * process's CPU, bench/RESULTS.md "transfers, round 3"). Field numbers
 * (streams.proto, shared.proto, google/rpc/status.proto):
 *   BatchAppendReq: correlation_id 1, options 2, proposed_messages 3, is_final 4
 *   Options: stream_identifier 1 (stream_name 3), stream_position 2 | no_stream 3 |
 *     any 4 | stream_exists 5, deadline 6 (Timestamp: seconds 1, nanos 2)
 *   ProposedMessage: id 1, metadata 2 (map<string, string>: key 1, value 2), custom_metadata 3, data 4
 *   UUID: string 2 (as the client sends event ids)
 *   BatchAppendResp: correlation_id 1, error 2 (Status), success 3
 *   Success: current_revision 1 | no_stream 2, position 3 (commit 1, prepare 2) | no_position 4
 *   Status: code 1, message 2, details 3 (Any: type_url 1, value 2)
 *   WrongExpectedVersion: current_stream_revision 1 | current_no_stream 2,
 *     expected_stream_position 3 | expected_any 4 | expected_stream_exists 5 | expected_no_stream 6
 *   MaximumAppendSizeExceeded: maxAppendSize 1
 */

/** One append's chunks: the first carries the options, the last is final. */
export function encodeBatchAppend(...append: Parameters<typeof encodeChunks>): Buffer[] {
  try {
    return encodeChunks(...append);
  } catch (err) {
    // Data JSON cannot hold (a bigint, a cycle): the shared writers must not keep the half-written message.
    chunkWriter.finish();
    messageWriter.finish();
    throw err;
  }
}

function encodeChunks(
  correlationId: string,
  streamName: string,
  expected: AppendExpectedRevision,
  deadline: number,
  events: readonly EventData[],
  maxChunkBytes: number,
): Buffer[] {
  const messages = events.map(encodeProposed);
  const chunks: Buffer[] = [];
  let w = chunkStart(correlationId);
  w.tag(2, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).fork().tag(3, WireType.LengthDelimited).string(streamName).join();
  if (typeof expected === 'bigint') w.tag(2, WireType.Varint).uint64(expected);
  else w.tag(EXPECTED_FIELD[expected], WireType.LengthDelimited).uint32(0);
  const seconds = Math.floor(deadline / 1000);
  w.tag(6, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(seconds).tag(2, WireType.Varint).int32((deadline - seconds * 1000) * 1_000_000).join();
  w.join();
  let size = 0;
  for (const m of messages) {
    // As the client: a chunk holds messages up to the size; the rest go in the next chunk.
    if (size > 0 && size + m.length >= maxChunkBytes) {
      chunks.push(chunkEnd(w, false));
      w = chunkStart(correlationId);
      size = 0;
    }
    w.tag(3, WireType.LengthDelimited).bytes(m);
    size += m.length;
  }
  chunks.push(chunkEnd(w, true));
  return chunks;
}

const EXPECTED_FIELD = { no_stream: 3, any: 4, stream_exists: 5 } as const;

// Encoding is synchronous, so one writer of each kind serves every append: finish() copies
// the bytes out and keeps the grown buffer (a new writer per message grew one from empty
// each time: ~1/3 of the encoding's CPU in the transfer process's profile).
const chunkWriter = new BinaryWriter();
const messageWriter = new BinaryWriter();

function chunkStart(correlationId: string): BinaryWriter {
  return chunkWriter.tag(1, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string(correlationId).join();
}

function chunkEnd(w: BinaryWriter, isFinal: boolean): Buffer {
  const bytes = w.tag(4, WireType.Varint).bool(isFinal).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function encodeProposed(e: EventData): Uint8Array {
  const w = messageWriter;
  w.tag(1, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).string(e.id).join();
  w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('type').tag(2, WireType.LengthDelimited).string(e.type).join();
  w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('content-type').tag(2, WireType.LengthDelimited).string(e.contentType).join();
  // The client's rules: metadata as given when a plain Uint8Array, else its JSON; nothing when absent.
  if (e.metadata) {
    w.tag(3, WireType.LengthDelimited);
    if (e.metadata.constructor === Uint8Array) w.bytes(e.metadata as Uint8Array);
    else w.string(JSON.stringify(e.metadata));
  }
  w.tag(4, WireType.LengthDelimited);
  if (e.contentType === 'application/json') w.string(JSON.stringify(e.data));
  else w.bytes(e.data);
  return w.finish();
}

/** A WrongExpectedVersion detail: -1n for no stream; the expected revision or its sentinel. */
export type WrongExpectedVersionDetail = { readonly current: bigint | 'no_stream'; readonly expected: AppendExpectedRevision };

export type BatchAppendAnswer =
  | { readonly kind: 'success'; readonly correlationId: string; readonly revision: bigint; readonly position: { commit: bigint; prepare: bigint } | undefined }
  | {
      readonly kind: 'error';
      readonly correlationId: string;
      readonly code: number;
      readonly message: string;
      /** The detail's type name (after the last '/' of its type URL), '' when none. */
      readonly detail: string;
      readonly wrongExpectedVersion: WrongExpectedVersionDetail | undefined;
      readonly maxAppendSize: number | undefined;
    };

/** Throws RangeError on bytes that are not a BatchAppendResp. */
export function decodeBatchAppendResp(buf: Buffer): BatchAppendAnswer {
  const r = new WireReader(buf);
  let correlationId = '';
  let answer: Omit<BatchAppendAnswer, 'correlationId'> | undefined;
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) correlationId = uuid(r, r.end());
    else if (tag === ((2 << 3) | 2)) answer = status(r, r.end());
    else if (tag === ((3 << 3) | 2)) answer = success(r, r.end());
    else r.skip(tag & 7);
  }
  if (answer === undefined) throw new RangeError('a BatchAppendResp with neither success nor error');
  return { ...answer, correlationId } as BatchAppendAnswer;
}

function success(r: WireReader, end: number): Omit<BatchAppendAnswer & { kind: 'success' }, 'correlationId'> {
  let revision = -1n;
  let position: { commit: bigint; prepare: bigint } | undefined;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 1 << 3) revision = r.u64();
    else if (tag === ((3 << 3) | 2)) {
      const e = r.end();
      position = { commit: 0n, prepare: 0n };
      while (r.pos < e) {
        const t = r.varint();
        if (t === 1 << 3) position.commit = r.u64();
        else if (t === 2 << 3) position.prepare = r.u64();
        else r.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  return { kind: 'success', revision, position };
}

function status(r: WireReader, end: number): Omit<BatchAppendAnswer & { kind: 'error' }, 'correlationId'> {
  let code = 0;
  let message = '';
  let detail = '';
  let value: [number, number] = [0, 0];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 1 << 3) code = Number(BigInt.asIntN(32, r.u64()));
    else if (tag === ((2 << 3) | 2)) message = text(r);
    else if (tag === ((3 << 3) | 2)) {
      const e = r.end();
      while (r.pos < e) {
        const t = r.varint();
        if (t === ((1 << 3) | 2)) {
          const url = text(r);
          detail = url.slice(url.lastIndexOf('/') + 1);
        } else if (t === ((2 << 3) | 2)) {
          const v = r.end();
          value = [r.pos, v];
          r.pos = v;
        } else r.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  const body = (): WireReader => Object.assign(new WireReader(r.buf.subarray(0, value[1])), { pos: value[0] });
  return {
    kind: 'error',
    code,
    message,
    detail,
    wrongExpectedVersion: detail === 'event_store.client.WrongExpectedVersion' ? wrongExpectedVersion(body(), value[1]) : undefined,
    maxAppendSize: detail === 'event_store.client.MaximumAppendSizeExceeded' ? maxAppendSize(body(), value[1]) : undefined,
  };
}

function wrongExpectedVersion(r: WireReader, end: number): WrongExpectedVersionDetail {
  let current: bigint | 'no_stream' = 'no_stream';
  let expected: AppendExpectedRevision = 'any';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 1 << 3) current = r.u64();
    else if (tag === 3 << 3) expected = r.u64();
    else if (tag === ((5 << 3) | 2)) {
      expected = 'stream_exists';
      r.skip(2);
    } else if (tag === ((6 << 3) | 2)) {
      expected = 'no_stream';
      r.skip(2);
    } else r.skip(tag & 7);
  }
  return { current, expected };
}

function maxAppendSize(r: WireReader, end: number): number {
  let size = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 1 << 3) size = Number(r.u64());
    else r.skip(tag & 7);
  }
  return size;
}

function text(r: WireReader): string {
  const e = r.end();
  const s = r.buf.toString('utf8', r.pos, e);
  r.pos = e;
  return s;
}
