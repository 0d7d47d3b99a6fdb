import { nameBasedUuid } from '../app/name-based-uuid.js';

/** Fixed namespace for Ledger's event ids (a random uuid chosen once; never change it). */
const ledgerEventUuid = nameBasedUuid('5b6f3c1e-8d2a-4e7b-9f0c-2a1d4e6b8c3f');

/**
 * The id of the index-th event a command appends to a stream. Deterministic,
 * so a retried append carries the same ids and the store deduplicates it; the
 * stream is part of the name so one command id reused on two accounts still
 * gives distinct events (read models key transactions by event id).
 *
 * The command's fingerprint (src/app/command-fingerprint.ts) is part of the
 * name too (issue 12): the store takes events whose ids match the ones after
 * the expected revision as an idempotent repeat and reports success, so a
 * different command under a reused command_id, decided on a cache one event
 * behind, would otherwise be "appended" without being written. Events without
 * a fingerprint (written before it existed) keep the old name.
 */
export const eventIdFor = (stream: string, commandId: string, index: number, fingerprint?: string): string =>
  ledgerEventUuid(fingerprint === undefined ? `${stream}/${commandId}/${index}` : `${stream}/${commandId}/${fingerprint}/${index}`);
