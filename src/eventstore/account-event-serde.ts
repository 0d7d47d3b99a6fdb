import { jsonEvent, type EventData, type JSONEventType, type ResolvedEvent } from '@eventstore/db-client';
import { decodeMetadata, encodeEventData, encodeMetadata, MalformedEvent, type AccountEvent, type EventDecoder } from '../domain/index.js';
import type { NewEvent, StoredEvent } from '../app/index.js';
import { eventIdFor } from './event-ids.js';
import { traceContextCarrier } from '../observability/index.js';

const utf8 = new TextEncoder();

/** A domain event with its metadata → the client's JSON event with a deterministic id. */
export function toEventData(stream: string, event: NewEvent, index: number): EventData<JSONEventType> {
  return jsonEvent({
    id: eventIdFor(stream, event.metadata.commandId, index, event.metadata.commandFingerprint),
    type: event.event.type,
    data: encodeEventData(event.event),
    // The JSON's UTF-8 bytes, the same bytes the client would send for the
    // object: given an object it base64-encodes the JSON for google-protobuf
    // to decode again, twice per append (issue 17). A plain Uint8Array (the
    // client checks the constructor) is sent as is.
    // W3C trace context of the request (nothing when tracing is off), so the
    // projector can link its batch to this trace (issue 7).
    metadata: utf8.encode(JSON.stringify({ ...encodeMetadata(event.metadata), ...traceContextCarrier() })),
  });
}

/**
 * A recorded event → StoredEvent through the decoding pipeline (upcasters,
 * repairs, validation); undefined for a record without an event (an
 * unresolved link). An event the pipeline refuses is kept, marked
 * undecodable, so the revisions before it stay readable (issue 14).
 */
export function fromResolved(resolved: ResolvedEvent, decoder: EventDecoder): StoredEvent | undefined {
  const recorded = resolved.event;
  if (!recorded) return undefined;
  const base = {
    metadata: decodeMetadata(recorded.metadata),
    eventId: recorded.id,
    revision: recorded.revision,
    position: recorded.position?.commit ?? resolved.commitPosition ?? 0n,
    created: recorded.created,
  };
  // Binary events are not ours: keep their revision, skip their content.
  if (!recorded.isJson) return { ...base, event: undefined };
  let event: AccountEvent | undefined;
  try {
    event = decoder.decode({
      eventId: recorded.id, streamId: recorded.streamId, revision: recorded.revision,
      type: recorded.type, data: recorded.data, metadata: recorded.metadata,
    });
  } catch (err) {
    if (err instanceof MalformedEvent) return { ...base, event: undefined, undecodable: err.message };
    throw err;
  }
  return { ...base, event };
}
