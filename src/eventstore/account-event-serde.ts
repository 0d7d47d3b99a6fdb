import { jsonEvent, type EventData, type JSONEventType, type ResolvedEvent } from '@eventstore/db-client';
import { decodeEvent, decodeMetadata, encodeEventData, encodeMetadata } from '../domain/index.js';
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

/** A recorded event → StoredEvent; undefined for a record without an event (an unresolved link). */
export function fromResolved(resolved: ResolvedEvent): StoredEvent | undefined {
  const recorded = resolved.event;
  if (!recorded) return undefined;
  // Binary events are not ours: keep their revision, skip their content.
  const event = recorded.isJson ? decodeEvent(recorded.type, recorded.data) : undefined;
  return {
    event,
    metadata: decodeMetadata(recorded.metadata),
    eventId: recorded.id,
    revision: recorded.revision,
    position: recorded.position?.commit ?? resolved.commitPosition ?? 0n,
    created: recorded.created,
  };
}
