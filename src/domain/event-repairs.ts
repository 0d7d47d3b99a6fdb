import type { EncodedEvent } from './encoded-event.js';

/**
 * A repair rewrites a known bad stored event into the documented shape
 * while it is read (events themselves are immutable). It runs after the
 * upcasters, so it sees the current schema version, and before validation.
 * It returns the event unchanged when it does not apply, or `ignore` to read
 * the event as one this domain does not know (it keeps its revision and
 * changes no state).
 */
export type EventRepair = {
  /** How logs and `ledger-admin list` name it. */
  readonly name: string;
  readonly repair: (event: EncodedEvent) => EncodedEvent | { readonly ignore: string };
};

/**
 * Money amounts written as a JSON integer number instead of a decimal string
 * (a foreign writer's mistake). Fractions stay broken: guessing minor units
 * would invent money.
 */
export const amountAsNumberRepair: EventRepair = {
  name: 'amount-as-number',
  repair: (event) => {
    if (event.type !== 'MoneyDeposited' && event.type !== 'MoneyWithdrawn') return event;
    const data = event.data;
    if (typeof data !== 'object' || data === null || !('amount' in data)) return event;
    const amount = data.amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return event;
    return { ...event, data: { ...data, amount: String(amount) } };
  },
};

/** Repairs shipped with Ledger, by the name EVENT_REPAIRS turns them on with. */
export const shippedEventRepairs: Readonly<Record<string, EventRepair>> = {
  [amountAsNumberRepair.name]: amountAsNumberRepair,
};

/**
 * One event's correction, decided by a person: the data it should have
 * held, or that it is to be ignored. What EVENT_REPAIRS_FILE lists.
 */
export type EventCorrection =
  | { readonly eventId: string; readonly data: unknown; readonly note?: string }
  | { readonly eventId: string; readonly ignore: true; readonly note?: string };

/** The corrections of a repairs file as one repair, keyed by event id. */
export function correctionsRepair(name: string, corrections: readonly EventCorrection[]): EventRepair {
  const byId = new Map(corrections.map((c) => [c.eventId, c]));
  return {
    name,
    repair: (event) => {
      const c = byId.get(event.eventId);
      if (c === undefined) return event;
      if ('ignore' in c) return { ignore: c.note ?? `ignored by ${name}` };
      return { ...event, data: c.data };
    },
  };
}
