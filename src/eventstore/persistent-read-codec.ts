import type { StoredEvent } from '../readmodels/recorded-account-event.js';
import { WireReader, dataOf, metadataOf, readOneof, readRecorded, ticksToDate, type RecordedFields } from './recorded-event-wire.js';

/**
 * One persistent-subscription `ReadResp` as the consumers need it: a
 * delivered event (the id to settle it with, its retry count, the stored
 * event), the server's confirmation, or anything else.
 */
export type PersistentReadMessage =
  | { readonly kind: 'event'; readonly ackId: string; readonly retryCount: number; readonly stored: StoredEvent }
  | { readonly kind: 'confirmation'; readonly subscriptionId: string }
  | { readonly kind: 'other' };

const OTHER: PersistentReadMessage = { kind: 'other' };

/**
 * Decodes a persistent subscription's `ReadResp` straight from its bytes,
 * for the values the client's path (google-protobuf objects, then
 * convertPersistentSubscriptionGrpcEvent) would give, at a fraction of its
 * CPU per delivery (bench/RESULTS.md, issue 15). A message without an event
 * (only a link) is `other`, as the client's consumers skip it.
 * Field numbers (EventStoreDB persistent.proto; RecordedEvent in recorded-event-wire.ts):
 *   ReadResp: event 1, subscription_confirmation 2 (subscription_id 1)
 *   ReadEvent: event 1, link 2, commit_position 3 | no_position 4,
 *     retry_count 5 (int32) | no_retry_count 6
 */
export function decodePersistentReadMessage(buf: Buffer): PersistentReadMessage {
  return readOneof(buf, persistentReadField) ?? OTHER;
}

function persistentReadField(fieldNumber: number, r: WireReader, end: number): PersistentReadMessage | undefined {
  if (fieldNumber === 1) return readEvent(r, end);
  if (fieldNumber === 2) return { kind: 'confirmation', subscriptionId: confirmationId(r, end) };
  return undefined;
}

function readEvent(r: WireReader, end: number): PersistentReadMessage {
  let event: RecordedFields | undefined;
  let link: RecordedFields | undefined;
  let commitPosition: bigint | undefined;
  let retryCount = 0;
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) event = readRecorded(r, r.end());
    else if (tag === ((2 << 3) | 2)) link = readRecorded(r, r.end());
    else if (tag === 3 << 3) commitPosition = r.u64();
    else if (tag === 5 << 3) retryCount = Number(BigInt.asIntN(32, r.u64()));
    else r.skip(tag & 7);
  }
  if (event === undefined) return OTHER;
  const buf = r.buf;
  return {
    kind: 'event',
    // A replayed parked message arrives through a link: the server knows it by the link's id.
    ackId: link?.eventId ?? event.eventId,
    retryCount,
    stored: {
      eventId: event.eventId,
      streamId: event.streamId,
      revision: event.revision,
      commitPosition: commitPosition ?? event.commit,
      type: event.type,
      // Binary data is passed on as bytes: the decoder reports it as malformed.
      data: dataOf(buf, event),
      metadata: metadataOf(buf, event),
      created: ticksToDate(event.created),
    },
  };
}

function confirmationId(r: WireReader, end: number): string {
  let id = '';
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === ((1 << 3) | 2)) {
      const e = r.end();
      id = r.buf.toString('utf8', r.pos, e);
      r.pos = e;
    } else r.skip(tag & 7);
  }
  return id;
}
