/**
 * A stored event before decoding, as any reader (command side, as-of
 * queries, projector, rebuild) gets it from the event store: the one input
 * of the decoding pipeline (event-decoder.ts).
 */
export type EncodedEvent = {
  readonly eventId: string;
  readonly streamId: string;
  /** Stream revision, 0 for the first event of a stream. */
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
};
