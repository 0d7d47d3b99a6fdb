import { MalformedEvent } from '../domain/event-codec.js';
import { plainEventDecoder, type EventDecoder } from '../domain/event-decoder.js';
import { ACCOUNT_STREAM_PREFIX, type AccountEvent } from '../domain/events.js';

/**
 * An event as the event store delivers it, before decoding: the shape every
 * source (persistent subscription, stream read, $all read for rebuilds)
 * translates its client types into at its border.
 */
export type StoredEvent = {
  readonly eventId: string;
  readonly streamId: string;
  /** Stream revision, 0 for the first event of a stream. */
  readonly revision: bigint;
  /** Commit position in $all, when the source knows it. */
  readonly commitPosition: bigint | undefined;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** When the store recorded it; the fallback for occurred_at. */
  readonly created: Date;
};

/** A decoded account event with what the read model needs to place it. */
export type RecordedAccountEvent = {
  readonly eventId: string;
  readonly accountId: string;
  readonly revision: bigint;
  /** undefined: a type this domain does not know; it still takes its revision. */
  readonly event: AccountEvent | undefined;
  readonly occurredAt: Date;
  /** The principal that asked for it (metadata `actor`), when recorded. */
  readonly actor?: string;
};

export const accountIdOfStream = (streamId: string): string | undefined =>
  streamId.startsWith(ACCOUNT_STREAM_PREFIX) && streamId.length > ACCOUNT_STREAM_PREFIX.length
    ? streamId.slice(ACCOUNT_STREAM_PREFIX.length)
    : undefined;

/**
 * Decodes a stored event of an account stream through the shared pipeline
 * (upcasters, repairs, validation); throws MalformedEvent for a poison event.
 */
export function decodeRecordedAccountEvent(decoder: EventDecoder, stored: StoredEvent): RecordedAccountEvent {
  const accountId = accountIdOfStream(stored.streamId);
  if (accountId === undefined) throw new MalformedEvent(stored.type, `stream ${stored.streamId} is not an account stream`);
  const event = decoder.decode(stored);
  // occurred_at comes from the command's clock (metadata); the store's own
  // timestamp is only a fallback for events written by foreign writers.
  const occurredAt = occurredAtOf(stored);
  const actor = actorOf(stored);
  return { eventId: stored.eventId, accountId, revision: stored.revision, event, occurredAt, ...(actor === undefined ? {} : { actor }) };
}

/** With no repairs deployed (the shipped upcasters only). */
export const toRecordedAccountEvent = (stored: StoredEvent): RecordedAccountEvent => decodeRecordedAccountEvent(plainEventDecoder, stored);

/** Read directly, like occurred_at (the projector's hot path). */
function actorOf(stored: StoredEvent): string | undefined {
  const m = stored.metadata;
  const actor = typeof m === 'object' && m !== null && 'actor' in m ? m.actor : undefined;
  return typeof actor === 'string' && actor !== '' ? actor : undefined;
}

function occurredAtOf(stored: StoredEvent): Date {
  // Only occurred_at matters here: read it directly rather than validating the
  // whole metadata record per event (the hot path of the projector).
  const m = stored.metadata;
  const occurredAt = typeof m === 'object' && m !== null && 'occurred_at' in m ? m.occurred_at : undefined;
  if (typeof occurredAt !== 'string') return stored.created;
  const at = new Date(occurredAt);
  if (Number.isNaN(at.getTime())) throw new MalformedEvent(stored.type, `metadata.occurred_at: not a timestamp (${occurredAt})`);
  return at;
}
