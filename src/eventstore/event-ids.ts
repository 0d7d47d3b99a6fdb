import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for Ledger's event ids (a random uuid chosen once; never change it). */
const LEDGER_EVENT_NAMESPACE = '5b6f3c1e-8d2a-4e7b-9f0c-2a1d4e6b8c3f';

/**
 * The id of the index-th event a command appends to a stream. Deterministic,
 * so a retried append carries the same ids and the store deduplicates it; the
 * stream is part of the name so one command id reused on two accounts still
 * gives distinct events (read models key transactions by event id).
 */
export const eventIdFor = (stream: string, commandId: string, index: number): string =>
  uuidv5(`${stream}/${commandId}/${index}`, LEDGER_EVENT_NAMESPACE);
