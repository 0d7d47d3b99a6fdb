import { MalformedEvent, eventDecoder, type EventDecoder, type EventRepair } from '../domain/index.js';
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

/**
 * For readers that copy the whole log (rebuilds, the seed of an in-memory
 * read model): an undecodable event is left out; the account's next event
 * then shows a gap, the writer reads the stream, meets the poison and holds
 * the account at its last good state, as the live projector does.
 */
export function decodeOrSkip(decode: AccountEventDecoder, stored: StoredEvent): RecordedAccountEvent[] {
  try {
    return [decode(stored)];
  } catch (err) {
    if (err instanceof MalformedEvent) return [];
    throw err;
  }
}
