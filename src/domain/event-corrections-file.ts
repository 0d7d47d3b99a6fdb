import { z } from 'zod';
import type { EventCorrection } from './event-repairs.js';

/**
 * The repairs file (EVENT_REPAIRS_FILE): corrections of single events,
 * decided by a person, deployed by configuration. JSON:
 *   [{"event_id":"<uuid>","data":{"amount":"250"},"note":"ticket 123"},
 *    {"event_id":"<uuid>","ignore":true,"note":"written twice"}]
 */
const correction = z.union([
  z.object({ event_id: z.string().uuid(), data: z.record(z.unknown()), note: z.string().optional() }).strict(),
  z.object({ event_id: z.string().uuid(), ignore: z.literal(true), note: z.string().optional() }).strict(),
]);

export class InvalidEventCorrections extends Error {
  override readonly name = 'InvalidEventCorrections';
}

/** Parses the file's text; throws InvalidEventCorrections naming what is wrong. */
export function parseEventCorrections(text: string): EventCorrection[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidEventCorrections(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const r = z.array(correction).safeParse(json);
  if (!r.success) throw new InvalidEventCorrections(r.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; '));
  const ids = new Set<string>();
  return r.data.map((c) => {
    if (ids.has(c.event_id)) throw new InvalidEventCorrections(`event ${c.event_id} is corrected twice`);
    ids.add(c.event_id);
    const note = c.note === undefined ? {} : { note: c.note };
    return 'ignore' in c ? { eventId: c.event_id, ignore: true as const, ...note } : { eventId: c.event_id, data: c.data, ...note };
  });
}
