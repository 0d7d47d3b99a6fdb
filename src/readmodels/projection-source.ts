import type { StoredEvent } from './recorded-account-event.js';

/** One message from a persistent subscription, in our words. */
export type ProjectionDelivery = {
  readonly ackId: string;
  readonly stored: StoredEvent;
  /** How many times the subscription has delivered it before. */
  readonly retryCount: number;
};

/**
 * A consumer of the projector's subscription group (src/eventstore's
 * AccountSubscription fits this shape; tests and the benchmark may wrap it).
 */
export interface ProjectionSource {
  deliveries(): AsyncIterable<ProjectionDelivery>;
  ack(ackIds: readonly string[]): Promise<void>;
  retry(ackIds: readonly string[], reason: string): Promise<void>;
  park(ackIds: readonly string[], reason: string): Promise<void>;
  close(): Promise<void>;
}
