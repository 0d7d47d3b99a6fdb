import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { RecordedEvent, ResolvedEvent } from '@eventstore/db-client';
import { WireReader, dataOf, metadataOf, readOneof, readRecorded, ticksToDate, type RecordedFields } from './recorded-event-wire.js';

/**
 * A forwards read of one stream, `ReadReq` written and `ReadResp` read
 * straight from bytes, for the values the client's readStream gives
 * (convertGrpcEvent over google-protobuf objects: ~5-8% of the transfer
 * process's CPU, bench/RESULTS.md "transfers, round 3"). Field numbers
 * (streams.proto; RecordedEvent in recorded-event-wire.ts):
 *   ReadReq: options 1
 *   Options: stream 1, read_direction 3 (forwards 0), resolve_links 4, count 5,
 *     no_filter 8, uuid_option 9 (string 2)
 *   StreamOptions: stream_identifier 1 (stream_name 3), revision 2
 *   ReadResp: event 1, stream_not_found 4 (the rest ignored)
 *   ReadEvent: event 1, link 2, commit_position 3
 */
export function encodeStreamReadRequest(stream: string, fromRevision: bigint, maxCount: bigint): Buffer {
  const w = new BinaryWriter().tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).fork();
  w.tag(1, WireType.LengthDelimited).fork().tag(3, WireType.LengthDelimited).string(stream).join();
  w.tag(2, WireType.Varint).uint64(fromRevision).join();
  w.tag(3, WireType.Varint).int32(0);
  w.tag(4, WireType.Varint).bool(false);
  w.tag(5, WireType.Varint).uint64(maxCount);
  w.tag(8, WireType.LengthDelimited).uint32(0);
  w.tag(9, WireType.LengthDelimited).fork().tag(2, WireType.LengthDelimited).uint32(0).join();
  const bytes = w.join().finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export type StreamReadMessage =
  | { readonly kind: 'event'; readonly resolved: ResolvedEvent }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'other' };

const NOT_FOUND: StreamReadMessage = { kind: 'notFound' };
const OTHER: StreamReadMessage = { kind: 'other' };

export function decodeStreamReadMessage(buf: Buffer): StreamReadMessage {
  return readOneof(buf, streamReadField) ?? OTHER;
}

function streamReadField(fieldNumber: number, r: WireReader, end: number): StreamReadMessage | undefined {
  if (fieldNumber === 1) return { kind: 'event', resolved: readEvent(r, end) };
  if (fieldNumber === 4) return NOT_FOUND;
  return undefined;
}

function readEvent(r: WireReader, end: number): ResolvedEvent {
  const resolved: { event?: RecordedEvent; link?: RecordedEvent; commitPosition?: bigint } = {};
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) resolved.event = recorded(r.buf, readRecorded(r, r.end()));
    else if (tag === ((2 << 3) | 2)) resolved.link = recorded(r.buf, readRecorded(r, r.end()));
    else if (tag === 3 << 3) resolved.commitPosition = r.u64();
    else r.skip(tag & 7);
  }
  return resolved as ResolvedEvent;
}

/** The client's RecordedEvent (convertGrpcRecord) from the fields. */
function recorded(buf: Buffer, f: RecordedFields): RecordedEvent {
  return {
    streamId: f.streamId,
    id: f.eventId,
    revision: f.revision,
    type: f.type,
    data: dataOf(buf, f),
    metadata: metadataOf(buf, f),
    isJson: f.contentType === 'application/json',
    created: ticksToDate(f.created),
    position: { commit: f.commit, prepare: f.prepare },
  } as RecordedEvent;
}
