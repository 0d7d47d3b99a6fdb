import {
  PARK,
  PINNED,
  RETRY,
  ROUND_ROBIN,
  DISPATCH_TO_SINGLE,
  START,
  PersistentSubscriptionExistsError,
  persistentSubscriptionToAllSettingsFromDefaults,
  streamNameFilter,
  type EventStoreDBClient,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToAllResolvedEvent,
} from '@eventstore/db-client';
import { ACCOUNT_STREAM_PREFIX } from '../domain/events.js';
import type { StoredEvent } from '../readmodels/recorded-account-event.js';

export type ConsumerStrategyName = 'Pinned' | 'RoundRobin' | 'DispatchToSingle';

export type AccountSubscriptionSettings = {
  readonly group: string;
  readonly consumerStrategy: ConsumerStrategyName;
  /** Server-side redeliveries of a timed-out message before the server parks it. */
  readonly maxRetryCount: number;
  readonly messageTimeoutMs: number;
  /** Stream prefix the group is filtered to; account streams by default (the transfer documents read `transfer-`, issue 15). */
  readonly streamPrefix?: string;
};

/** One message from the group: the stored event, its retry count, the id to settle it with. */
export type Delivery = {
  readonly ackId: string;
  readonly stored: StoredEvent;
  readonly retryCount: number;
};

const strategies = { Pinned: PINNED, RoundRobin: ROUND_ROBIN, DispatchToSingle: DISPATCH_TO_SINGLE } as const;

/**
 * Creates the group on $all, filtered to account streams, from the start of
 * the log, if it does not exist. An existing group keeps its settings
 * (changing them is an operator's decision, not a side effect of a restart).
 */
export async function ensureAccountSubscriptionGroup(client: EventStoreDBClient, settings: AccountSubscriptionSettings): Promise<'created' | 'exists'> {
  try {
    await client.createPersistentSubscriptionToAll(
      settings.group,
      persistentSubscriptionToAllSettingsFromDefaults({
        startFrom: START,
        consumerStrategyName: strategies[settings.consumerStrategy],
        maxRetryCount: settings.maxRetryCount,
        messageTimeout: settings.messageTimeoutMs,
      }),
      { filter: streamNameFilter({ prefixes: [settings.streamPrefix ?? ACCOUNT_STREAM_PREFIX] }) },
    );
    return 'created';
  } catch (err) {
    if (err instanceof PersistentSubscriptionExistsError) return 'exists';
    throw err;
  }
}

/**
 * A consumer of the group. Translates the client's resolved events into
 * StoredEvent at this border and settles messages by id, so nothing outside
 * src/eventstore sees a client type.
 */
export class AccountSubscription {
  private readonly inFlight = new Map<string, PersistentSubscriptionToAllResolvedEvent>();

  private constructor(private readonly subscription: PersistentSubscriptionToAll) {}

  static open(client: EventStoreDBClient, group: string, bufferSize: number): AccountSubscription {
    return new AccountSubscription(client.subscribeToPersistentSubscriptionToAll(group, { bufferSize }));
  }

  /** Ends when the subscription is closed; throws when the server drops it. */
  async *deliveries(): AsyncGenerator<Delivery> {
    for await (const resolved of this.subscription) {
      const delivery = toDelivery(resolved);
      if (delivery === undefined) continue;
      this.inFlight.set(delivery.ackId, resolved);
      yield delivery;
    }
  }

  async ack(ackIds: readonly string[]): Promise<void> {
    const events = this.take(ackIds);
    if (events.length > 0) await this.subscription.ack(...events);
  }

  /** Asks the server to deliver again (its retry count goes up). */
  async retry(ackIds: readonly string[], reason: string): Promise<void> {
    const events = this.take(ackIds);
    if (events.length > 0) await this.subscription.nack(RETRY, reason, ...events);
  }

  /** Moves the messages to the group's parked stream, replayable later. */
  async park(ackIds: readonly string[], reason: string): Promise<void> {
    const events = this.take(ackIds);
    if (events.length > 0) await this.subscription.nack(PARK, reason, ...events);
  }

  async close(): Promise<void> {
    await this.subscription.unsubscribe();
  }

  private take(ackIds: readonly string[]): PersistentSubscriptionToAllResolvedEvent[] {
    const events: PersistentSubscriptionToAllResolvedEvent[] = [];
    for (const id of ackIds) {
      const e = this.inFlight.get(id);
      if (e === undefined) continue;
      this.inFlight.delete(id);
      events.push(e);
    }
    return events;
  }
}

function toDelivery(resolved: PersistentSubscriptionToAllResolvedEvent): Delivery | undefined {
  const e = resolved.event;
  if (e === undefined) return undefined;
  const ackId = resolved.link?.id ?? e.id;
  return {
    ackId,
    retryCount: resolved.retryCount,
    stored: {
      eventId: e.id,
      streamId: e.streamId,
      revision: e.revision,
      commitPosition: resolved.commitPosition ?? e.position?.commit,
      type: e.type,
      // Binary data is passed on as bytes: the decoder reports it as malformed.
      data: e.data,
      metadata: e.metadata,
      created: e.created,
    },
  };
}
