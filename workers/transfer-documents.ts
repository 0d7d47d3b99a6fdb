import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { TransferEventStore } from '../src/app/index.js';
import { MalformedEvent, TRANSFER_STREAM_PREFIX } from '../src/domain/index.js';
import { AccountSubscription, ensureAccountSubscriptionGroup } from '../src/eventstore/persistent-subscription.js';
import { MongoTransferDocuments } from '../src/readmodels/mongo-transfer-documents.js';
import { ProjectionRegistry } from '../src/readmodels/projection-registry.js';
import { TRANSFERS_COLLECTION, TRANSFERS_PROJECTION, transferDocumentOf } from '../src/readmodels/transfer-documents.js';

export type RunningTransferDocuments = { stop(): Promise<void> };

/** Wait before handing back a delivery that failed (Mongo down): no hot redelivery loop. */
const RETRY_PAUSE_MS = 200;
/**
 * How long the active collection is taken as known: a rebuild's flip
 * reaches this writer within it (REBUILD_SETTLE_MS, default 3 s, must be
 * longer: the rebuild re-reads what was written to the old one meanwhile).
 */
const ACTIVE_TTL_MS = 1_000;

/**
 * The `transfers` collection (issue 15): its own persistent subscription
 * group on the transfer streams, so a Mongo outage holds these documents
 * back without holding back any transfer. Each delivery folds its (tiny)
 * transfer stream and writes the document, guarded by the stream revision;
 * acked after Mongo acknowledged. Writes go to the collection the projection
 * registry names, so an operator's rebuild (workers/transfer-rebuild.ts) can
 * swap in a fresh one without stopping anything.
 */
export async function startTransferDocuments(client: EventStoreDBClient, db: Db, transfers: TransferEventStore, logger: Logger, group: string): Promise<RunningTransferDocuments> {
  const registry = new ProjectionRegistry(db);
  await registry.ensure(TRANSFERS_PROJECTION, TRANSFERS_COLLECTION);
  let active: { documents: MongoTransferDocuments; at: number } | undefined;
  const documents = async (): Promise<MongoTransferDocuments> => {
    if (active === undefined || Date.now() - active.at > ACTIVE_TTL_MS) {
      const collection = await registry.getActiveCollection(TRANSFERS_PROJECTION);
      active = { documents: active?.documents.collection === collection ? active.documents : new MongoTransferDocuments(db, collection), at: Date.now() };
    }
    return active.documents;
  };
  await (await documents()).ensureIndexes();
  await registry.updateStatus(TRANSFERS_PROJECTION, 'running');
  await ensureAccountSubscriptionGroup(client, { group, consumerStrategy: 'RoundRobin', maxRetryCount: 10, messageTimeoutMs: 30_000, streamPrefix: TRANSFER_STREAM_PREFIX });
  let stopping = false;
  let subscription: AccountSubscription | undefined;
  const loop = async (): Promise<void> => {
    for (let reconnects = 0; !stopping; ) {
      const sub = AccountSubscription.open(client, group, 64);
      subscription = sub;
      try {
        for await (const delivery of sub.deliveries()) {
          reconnects = 0;
          const transferId = delivery.stored.streamId.slice(TRANSFER_STREAM_PREFIX.length);
          try {
            const doc = transferDocumentOf(await transfers.read(transferId));
            if (doc !== undefined) await (await documents()).write(doc);
            await sub.ack([delivery.ackId]);
          } catch (err) {
            if (err instanceof MalformedEvent) {
              logger.error({ err, stream: delivery.stored.streamId }, 'undecodable transfer event: parked');
              await sub.park([delivery.ackId], err.message).catch(() => {});
              continue;
            }
            logger.warn({ err, transfer_id: transferId }, 'transfer document not written; retried');
            await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
            await sub.retry([delivery.ackId], err instanceof Error ? err.message : String(err)).catch(() => {});
          }
        }
      } catch (err) {
        if (!stopping) logger.warn({ err }, 'transfer documents subscription dropped; reconnecting');
      }
      await sub.close().catch(() => {});
      if (!stopping) await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** reconnects++, 5_000)));
    }
  };
  const running = loop();
  logger.info({ group }, 'transfer documents started');
  return {
    stop: async () => {
      stopping = true;
      await subscription?.close().catch(() => {});
      await Promise.race([running, new Promise((r) => setTimeout(r, 5_000).unref())]);
    },
  };
}
