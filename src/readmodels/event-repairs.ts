import type { StoredEvent } from './recorded-account-event.js';
import { toRecordedAccountEvent, type RecordedAccountEvent } from './recorded-account-event.js';

/**
 * A repair is code, deployed: it rewrites a known bad shape of stored event
 * into the documented one before decoding (events themselves are immutable).
 * The repair story: an event is parked, someone writes the repair, the
 * projector restarts with it, an operator replays the parked messages.
 */
export type EventRepair = (stored: StoredEvent) => StoredEvent;

/**
 * Money amounts written as a JSON integer number instead of a decimal string
 * (a foreign writer's mistake). Fractions stay broken: guessing minor units
 * would invent money.
 */
export const amountAsNumberRepair: EventRepair = (stored) => {
  if (stored.type !== 'MoneyDeposited' && stored.type !== 'MoneyWithdrawn') return stored;
  const data = stored.data;
  if (typeof data !== 'object' || data === null || !('amount' in data)) return stored;
  const amount = data.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return stored;
  return { ...stored, data: { ...data, amount: String(amount) } };
};

export type AccountEventDecoder = (stored: StoredEvent) => RecordedAccountEvent;

/** Decoding with the given repairs applied first; throws MalformedEvent when still bad. */
export const decoderWith = (repairs: readonly EventRepair[]): AccountEventDecoder => (stored) =>
  toRecordedAccountEvent(repairs.reduce((s, repair) => repair(s), stored));
