import { jsonEvent, type EventData, type JSONEventType, type ResolvedEvent } from '@eventstore/db-client';
import { decodeMetadata, encodeEventData, encodeMetadata, MalformedEvent, type AccountEvent, type EventDecoder } from '../domain/index.js';
import type { NewEvent, StoredEvent } from '../app/index.js';
import { eventIdFor } from './event-ids.js';
import { traceContextCarrier } from '../observability/index.js';

/** A domain event with its metadata → the client's JSON event with a deterministic id. */
export function toEventData(stream: string, event: NewEvent, index: number): EventData<JSONEventType> {
  return jsonEvent({
    id: eventIdFor(stream, event.metadata.commandId, index, event.metadata.commandFingerprint),
    type: event.event.type,
    data: encodeEventData(event.event),
    // W3C trace context of the request (nothing when tracing is off), so the
    // projector can link its batch to this trace (issue 7).
    metadata: { ...encodeMetadata(event.metadata), ...traceContextCarrier() },
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
