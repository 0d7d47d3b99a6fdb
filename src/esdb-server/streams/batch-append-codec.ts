import { ProtoReader } from './proto-reader.js';
import { ProtoWriter } from './proto-writer.js';

/**
 * BatchAppend carries every append of the client, one message per append;
 * google-protobuf's object model was the largest CPU cost on that path, so
 * the request is read and the success answer written directly. Field
 * numbers (streams.proto, shared.proto):
 *   BatchAppendReq: correlation_id = 1, options = 2, proposed_messages = 3, is_final = 4
 *   Options: stream_identifier = 1, stream_position = 2, no_stream = 3, any = 4,
 *            stream_exists = 5, deadline = 6 (Timestamp: seconds = 1, nanos = 2)
 *   ProposedMessage: id = 1, metadata (map) = 2, custom_metadata = 3, data = 4
 *   UUID: structured = 1 (most = 1, least = 2), string = 2
 *   BatchAppendResp: correlation_id = 1, error = 2, success = 3, stream_identifier = 4,
 *            stream_position = 5, no_stream = 6, any = 7, stream_exists = 8
 *   Success: current_revision = 1, no_stream = 2, position = 3 (commit = 1, prepare = 2)
 */
export type WireUuid = { readonly string: string } | { readonly most: bigint; readonly least: bigint };

export type WireExpected =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'exact'; readonly revision: bigint };

export interface WireProposed {
  readonly id: WireUuid | undefined;
  readonly metadata: Map<string, string>;
  readonly customMetadata: Uint8Array;
  readonly data: Uint8Array;
}

export interface WireBatchAppend {
  readonly correlationId: WireUuid | undefined;
  readonly options:
    | { readonly streamName: Buffer | undefined; readonly expected: WireExpected; readonly deadlineMs: number | undefined }
    | undefined;
  readonly proposed: WireProposed[];
  readonly isFinal: boolean;
}

const readUuid = (r: ProtoReader): WireUuid | undefined => {
  let most = 0n;
  let least = 0n;
  let structured = false;
  let text: string | undefined;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) {
      structured = true;
      const s = r.message();
      while (!s.done) {
        const [sf, sw] = s.tag();
        if (sf === 1 && sw === 0) most = BigInt.asIntN(64, s.bigVarint());
        else if (sf === 2 && sw === 0) least = BigInt.asIntN(64, s.bigVarint());
        else s.skip(sw);
      }
    } else if (f === 2 && w === 2) text = r.bytes().toString('utf8');
    else r.skip(w);
  }
  if (text !== undefined) return { string: text };
  return structured ? { most, least } : undefined;
};

const readOptions = (r: ProtoReader): NonNullable<WireBatchAppend['options']> => {
  let streamName: Buffer | undefined;
  let expected: WireExpected = { kind: 'any' };
  let deadlineMs: number | undefined;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) {
      const s = r.message();
      while (!s.done) {
        const [sf, sw] = s.tag();
        if (sf === 3 && sw === 2) streamName = s.bytes();
        else s.skip(sw);
      }
    } else if (f === 2 && w === 0) expected = { kind: 'exact', revision: r.bigVarint() };
    else if ((f === 3 || f === 4 || f === 5) && w === 2) {
      r.skip(w);
      expected = f === 3 ? { kind: 'no_stream' } : f === 4 ? { kind: 'any' } : { kind: 'stream_exists' };
    } else if (f === 6 && w === 2) {
      const t = r.message();
      let seconds = 0;
      let nanos = 0;
      while (!t.done) {
        const [tf, tw] = t.tag();
        if (tf === 1 && tw === 0) seconds = Number(BigInt.asIntN(64, t.bigVarint()));
        else if (tf === 2 && tw === 0) nanos = t.varint();
        else t.skip(tw);
      }
      deadlineMs = seconds * 1000 + Math.floor(nanos / 1e6);
    } else r.skip(w);
  }
  return { streamName, expected, deadlineMs };
};

// Absent or empty bytes are all this one (never written to): the store keeps
// every event's fields, and a view object per empty field is memory for the GC to trace.
const NO_BYTES = new Uint8Array(0);

const readProposed = (r: ProtoReader): WireProposed => {
  let id: WireUuid | undefined;
  const metadata = new Map<string, string>();
  let customMetadata: Uint8Array = NO_BYTES;
  let data: Uint8Array = NO_BYTES;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) id = readUuid(r.message());
    else if (f === 2 && w === 2) {
      const e = r.message();
      let key = '';
      let value = '';
      while (!e.done) {
        const [ef, ew] = e.tag();
        if (ef === 1 && ew === 2) key = e.bytes().toString('utf8');
        else if (ef === 2 && ew === 2) value = e.bytes().toString('utf8');
        else e.skip(ew);
      }
      metadata.set(key, value);
    } else if (f === 3 && w === 2) customMetadata = r.bytes();
    else if (f === 4 && w === 2) data = r.bytes();
    else r.skip(w);
  }
  if (customMetadata.length === 0) customMetadata = NO_BYTES;
  if (data.length === 0) data = NO_BYTES;
  return { id, metadata, customMetadata, data };
};

const MALFORMED: WireBatchAppend = { correlationId: undefined, options: undefined, proposed: [], isFinal: false };

/** Never throws: bytes that are not a well-formed message decode to a request nobody can be answered for. */
export const decodeBatchAppendReq = (buf: Buffer): WireBatchAppend => {
  try {
    return decode(buf);
  } catch {
    return MALFORMED;
  }
};

const decode = (buf: Buffer): WireBatchAppend => {
  const r = new ProtoReader(buf);
  let correlationId: WireUuid | undefined;
  let options: WireBatchAppend['options'];
  const proposed: WireProposed[] = [];
  let isFinal = false;
  while (!r.done) {
    const [f, w] = r.tag();
    if (f === 1 && w === 2) correlationId = readUuid(r.message());
    else if (f === 2 && w === 2) options = readOptions(r.message());
    else if (f === 3 && w === 2) proposed.push(readProposed(r.message()));
    else if (f === 4 && w === 0) isFinal = r.varint() !== 0;
    else r.skip(w);
  }
  return { correlationId, options, proposed, isFinal };
};

const writeExpected = (w: ProtoWriter, e: WireExpected): void => {
  if (e.kind === 'exact') w.uint64(5, e.revision);
  else w.message(e.kind === 'no_stream' ? 6 : e.kind === 'any' ? 7 : 8, () => undefined);
};

/** A successful BatchAppendResp. */
export const encodeBatchAppendSuccess = (
  correlationId: string,
  streamName: string,
  expected: WireExpected,
  currentRevision: bigint,
  position: bigint,
): Buffer => {
  const w = new ProtoWriter();
  w.message(1, (u) => u.string(2, correlationId));
  w.message(3, (s) => {
    if (currentRevision < 0n) s.message(2, () => undefined);
    else s.uint64(1, currentRevision);
    s.message(3, (p) => {
      p.uint64(1, position);
      p.uint64(2, position);
    });
  });
  w.message(4, (s) => s.string(3, streamName));
  writeExpected(w, expected);
  return w.done();
};

