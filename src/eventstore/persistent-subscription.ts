import {
  PINNED,
  ROUND_ROBIN,
  DISPATCH_TO_SINGLE,
  START,
  PersistentSubscriptionExistsError,
  persistentSubscriptionToAllSettingsFromDefaults,
  streamNameFilter,
  convertToCommandError,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import persistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb.js';
import persistentPb from '@eventstore/db-client/generated/persistent_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { internalsOf } from './client-internals.js';
import { decodePersistentReadMessage, type PersistentReadMessage } from './persistent-read-codec.js';
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
 * A consumer of the group. Its call goes through the client's channel
 * (connection, TLS, credentials stay the client's), but deliveries are
 * decoded from their bytes by persistent-read-codec.ts: the client's path
 * (google-protobuf objects and its event conversion) was about half of
 * the transfer process's client-stack CPU per delivery (issue 15). The
 * request messages are the client's generated classes, as it sends them.
 * Settles messages by id, so nothing outside src/eventstore sees a client type.
 */
export class AccountSubscription {
  private closed = false;

  private constructor(private readonly call: Promise<ClientDuplexStream<ReadRequest, PersistentReadMessage>>) {
    // Until deliveries() reads it, a failure to open is kept for it, not thrown unhandled.
    call.catch(() => {});
  }

  static open(client: EventStoreDBClient, group: string, bufferSize: number): AccountSubscription {
    const { GRPCStreamCreator, callArguments } = internalsOf(client);
    const open = GRPCStreamCreator(persistentGrpc.PersistentSubscriptionsClient, 'subscribeToPersistentSubscriptionToAll', (grpc) => {
      const call = grpc.makeBidiStreamRequest(READ, serialize, decodePersistentReadMessage, ...callArguments({}, { deadline: Infinity }));
      // deliveries() reports failures; this keeps one arriving while nobody iterates (after close) from being unhandled.
      call.on('error', () => {});
      call.write(subscribeRequest(group, bufferSize));
      return call;
    });
    return new AccountSubscription(open());
  }

  /** Ends when the subscription is closed; throws when the server drops it. */
  async *deliveries(): AsyncGenerator<Delivery> {
    try {
      // Leaving the loop early does not end the call: acks still go out on it until close().
      for await (const m of (await this.call).iterator({ destroyOnReturn: false })) {
        const message = m as PersistentReadMessage;
        if (message.kind === 'event') yield { ackId: message.ackId, retryCount: message.retryCount, stored: message.stored };
      }
    } catch (err) {
      if (this.closed) return;
      throw convertToCommandError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  async ack(ackIds: readonly string[]): Promise<void> {
    if (ackIds.length === 0) return;
    await this.send(new persistentPb.ReadReq().setAck(new persistentPb.ReadReq.Ack().setIdsList(ackIds.map(uuidOf))));
  }

  /** Asks the server to deliver again (its retry count goes up). */
  async retry(ackIds: readonly string[], reason: string): Promise<void> {
    await this.nack(persistentPb.ReadReq.Nack.Action.RETRY, ackIds, reason);
  }

  /** Moves the messages to the group's parked stream, replayable later. */
  async park(ackIds: readonly string[], reason: string): Promise<void> {
    await this.nack(persistentPb.ReadReq.Nack.Action.PARK, ackIds, reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    const call = await this.call.catch(() => undefined);
    // As the client's unsubscribe: cancel outside the current callback (grpc-node #1464, #1652).
    if (call) await new Promise<void>((resolve) => setImmediate(() => { call.cancel(); resolve(); }));
  }

  private async nack(action: number, ackIds: readonly string[], reason: string): Promise<void> {
    if (ackIds.length === 0) return;
    const nack = new persistentPb.ReadReq.Nack().setIdsList(ackIds.map(uuidOf)).setAction(action).setReason(reason);
    await this.send(new persistentPb.ReadReq().setNack(nack));
  }

  private async send(request: ReadRequest): Promise<void> {
    try {
      const call = await this.call;
      if (this.closed || call.destroyed || call.writableEnded) throw new Error('the subscription is closed: not settled, the server delivers those events again');
      // Settled once grpc-js has handed the message on (or failed it): a closed call answers with an
      // error here, where waiting for 'drain' would wait for ever.
      await new Promise<void>((resolve, reject) => {
        call.write(request, (err?: Error | null) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      throw convertToCommandError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

type ReadRequest = InstanceType<typeof persistentPb.ReadReq>;
const READ = '/event_store.client.persistent_subscriptions.PersistentSubscriptions/Read';
const serialize = (r: ReadRequest): Buffer => Buffer.from(r.serializeBinary());
const uuidOf = (id: string) => new sharedPb.UUID().setString(id);

/** The request the client's subscribeToPersistentSubscriptionToAll sends first. */
function subscribeRequest(group: string, bufferSize: number): ReadRequest {
  const { Options } = persistentPb.ReadReq;
  const options = new Options()
    .setAll(new sharedPb.Empty())
    .setGroupName(group)
    .setBufferSize(bufferSize)
    .setUuidOption(new Options.UUIDOption().setString(new sharedPb.Empty()));
  return new persistentPb.ReadReq().setOptions(options);
}
