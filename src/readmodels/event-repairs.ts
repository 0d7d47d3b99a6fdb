import { eventDecoder, type EventDecoder, type EventRepair } from '../domain/index.js';
import { decodeRecordedAccountEvent, type RecordedAccountEvent, type StoredEvent } from './recorded-account-event.js';

/**
 * How the read side decodes: the one pipeline every reader shares
 * (src/domain/event-decoder.ts: upcasters, deployed repairs, validation),
 * plus what the read model needs to place the event. The projector, its gap
 * fills, the seed of an in-memory read model and rebuilds all take the same
 * one, so none of them undoes a repair another applied (issue 14).
 */
export type AccountEventDecoder = (stored: StoredEvent) => RecordedAccountEvent;

export const recordedEventDecoder = (decoder: EventDecoder): AccountEventDecoder => (stored) => decodeRecordedAccountEvent(decoder, stored);

/** The shipped upcasters and the given repairs; throws MalformedEvent when still bad. */
export const decoderWith = (repairs: readonly EventRepair[]): AccountEventDecoder => recordedEventDecoder(eventDecoder({ repairs }));
