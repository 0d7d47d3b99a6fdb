import type { ResolvedEvent } from '../store/types.js';

/** One event on its way through a subscription group. */
export interface GroupMessage {
  readonly event: ResolvedEvent;
  /** The id a consumer acks with: the link's when there is one (as the client sends it). */
  readonly id: string;
  /** Deliveries so far that were not acknowledged. */
  readonly retryCount: number;
  /**
   * Ordinal in the group's read order, for checkpointing; undefined for a
   * replayed parked message, which is already behind the checkpoint.
   */
  readonly seq: number | undefined;
}

export function messageId(e: ResolvedEvent): string {
  return (e.link ?? e.event)?.eventId ?? '';
}
