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

/**
 * The correlation and causation ids recorded in an event's metadata (as the
 * command side writes them), as log fields; empty when absent. Lets the
 * projector's and jobs' lines about an event be found by the request's id.
 */
export function correlationFieldsOf(metadata: unknown): { correlation_id?: string; causation_id?: string } {
  if (typeof metadata !== 'object' || metadata === null) return {};
  const fields: { correlation_id?: string; causation_id?: string } = {};
  if ('correlation_id' in metadata && typeof metadata.correlation_id === 'string') fields.correlation_id = metadata.correlation_id;
  if ('causation_id' in metadata && typeof metadata.causation_id === 'string') fields.causation_id = metadata.causation_id;
  return fields;
}
