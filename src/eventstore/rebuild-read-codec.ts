import { ACCOUNT_STREAM_PREFIX } from '../domain/events.js';
import type { LogPosition, LoggedAccountEvent } from './rebuild-source.js';
import { WireReader, dataOf, metadataOf, readOneof, readRecorded, ticksToDate } from './recorded-event-wire.js';

/**
 * One `ReadResp` of a `$all` subscription, as the rebuild needs it: an
 * account event and its position, a checkpoint, caught up, fell behind.
 * `event` is undefined for a record the rebuild skips (not an account
 * stream, not JSON), as the client-based sources skip it.
 */
export type ReadMessage =
  | { readonly kind: 'event'; readonly event: LoggedAccountEvent | undefined; readonly position: LogPosition }
  | { readonly kind: 'checkpoint'; readonly position: LogPosition }
  | { readonly kind: 'caughtUp' | 'fellBehind' | 'other' };

const CAUGHT_UP: ReadMessage = { kind: 'caughtUp' };
const FELL_BEHIND: ReadMessage = { kind: 'fellBehind' };
const OTHER: ReadMessage = { kind: 'other' };

/**
 * Decodes a `ReadResp` straight from its bytes. The client's own path
 * (google-protobuf objects, then its event conversion) cost the rebuild
 * about two thirds of its CPU per event; this reads only the fields used and
 * yields the values the client would (JSON data and metadata parsed, the raw
 * string or bytes when they do not parse; `created` from .NET ticks).
 * Field numbers (EventStoreDB streams.proto; RecordedEvent in recorded-event-wire.ts):
 *   ReadResp: event 1, checkpoint 3, caught_up 8, fell_behind 9 (the rest ignored)
 *   ReadEvent: event 1 (links are not resolved, so no link 2)
 *   Checkpoint: commit_position 1, prepare_position 2
 */
export function decodeReadMessage(buf: Buffer): ReadMessage {
  return readOneof(buf, allReadField) ?? OTHER;
}

function allReadField(fieldNumber: number, r: WireReader, end: number): ReadMessage | undefined {
  switch (fieldNumber) {
    case 1:
      return readEvent(r, end);
    case 3:
      return { kind: 'checkpoint', position: checkpoint(r, end) };
    case 8:
      return CAUGHT_UP;
    case 9:
      return FELL_BEHIND;
    default:
      return undefined;
  }
}

function readEvent(r: WireReader, end: number): ReadMessage {
  let message: ReadMessage = OTHER;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) message = recorded(r, r.end());
    else r.skip(tag & 7);
  }
  return message;
}

function recorded(r: WireReader, end: number): ReadMessage {
  const buf = r.buf;
  const f = readRecorded(r, end);
  const position = { commit: f.commit, prepare: f.prepare };
  if (!f.streamId.startsWith(ACCOUNT_STREAM_PREFIX) || f.contentType !== 'application/json') return { kind: 'event', event: undefined, position };
  return {
    kind: 'event',
    position,
    event: {
      eventId: f.eventId,
      streamId: f.streamId,
      revision: f.revision,
      commitPosition: f.commit,
      type: f.type,
      data: dataOf(buf, f),
      metadata: metadataOf(buf, f),
      created: ticksToDate(f.created),
    },
  };
}

function checkpoint(r: WireReader, end: number): LogPosition {
  let commit = 0n;
  let prepare = 0n;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 1 << 3) commit = r.u64();
    else if (tag === 2 << 3) prepare = r.u64();
    else r.skip(tag & 7);
  }
  return { commit, prepare };
}
