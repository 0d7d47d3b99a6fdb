/** gRPC metadata key a client sets to join our logs and events to its own request. */
export const CORRELATION_HEADER = 'x-correlation-id';

// Printable ASCII, bounded: the id ends up in event metadata and every log
// line, so an attacker-chosen megabyte or control characters must not.
const ACCEPTABLE = /^[\x21-\x7e]{1,128}$/;

/**
 * The correlation id of an incoming call: the client's `x-correlation-id`
 * when it is acceptable, else a fresh one from `newId` (a uuid generator the
 * caller passes, so this stays deterministic under test).
 */
export function correlationIdFrom(values: ReadonlyArray<string | Buffer>, newId: () => string): string {
  const first = values[0];
  const text = typeof first === 'string' ? first : undefined;
  return text !== undefined && ACCEPTABLE.test(text) ? text : newId();
}
