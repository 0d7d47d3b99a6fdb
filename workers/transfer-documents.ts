import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { TransferEventStore } from '../src/app/index.js';
import { MalformedEvent, TRANSFER_STREAM_PREFIX, type EventDecoder } from '../src/domain/index.js';
import { AccountLogReader, type LogPosition } from '../src/eventstore/rebuild-source.js';
import { transferRebuildTarget } from '../src/readmodels/transfer-rebuild-target.js';
import { AccountSubscription, ensureAccountSubscriptionGroup } from '../src/eventstore/persistent-subscription.js';
import { followGroup } from '../src/eventstore/follow-group.js';
import { MongoTransferDocuments } from '../src/readmodels/mongo-transfer-documents.js';
import { countAccountEventsAfter, headOfLog, subscriptionGroupStats } from '../src/eventstore/persistent-subscription-admin.js';
import { ProjectionLagReporter } from '../src/readmodels/projection-lag-reporter.js';
import { ProjectorProgress } from '../src/readmodels/projector-progress.js';
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
/** How often the writer checks whether the read store lost its data (its registry entry was created anew). */
const SEED_CHECK_MS = 5_000;
/** Transfer-stream records per page when filling the collection from the event store. */
const SEED_PAGE = 1_000;

/**
 * The `transfers` collection (issue 15): its own persistent subscription
 * group on the transfer streams, so a Mongo outage holds these documents
 * back without holding back any transfer. Each delivery folds its (tiny)
 * transfer stream and writes the document, guarded by the stream revision;
 * acked after Mongo acknowledged. Writes go to the collection the projection
 * registry names, so an operator's rebuild (workers/transfer-rebuild.ts) can
 * swap in a fresh one without stopping anything.
 */
export async function startTransferDocuments(
  client: EventStoreDBClient, db: Db, transfers: TransferEventStore, logger: Logger, group: string, decoder?: EventDecoder,
  /** How often the registry gets this projection's status, checkpoint and lag (PROJECTOR_STATUS_INTERVAL_MS, as the account projector's). */
  statusIntervalMs = 5_000,
): Promise<RunningTransferDocuments> {
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
  await ensureAccountSubscriptionGroup(client, { group, consumerStrategy: 'RoundRobin', maxRetryCount: 10, messageTimeoutMs: 30_000, streamPrefix: TRANSFER_STREAM_PREFIX });
  let stopping = false;
  let subscription: AccountSubscription | undefined;
  const progress = new ProjectorProgress();
  const loop = () => followGroup(
    () => (subscription = AccountSubscription.open(client, group, 64)),
    async (sub, delivery) => {
      const transferId = delivery.stored.streamId.slice(TRANSFER_STREAM_PREFIX.length);
      try {
        const doc = transferDocumentOf(await transfers.read(transferId));
        if (doc !== undefined) await (await documents()).write(doc);
        await sub.ack([delivery.ackId]);
        progress.storeFailing = false;
        progress.recordAcked(1, delivery.stored.commitPosition, delivery.stored.created);
      } catch (err) {
        if (err instanceof MalformedEvent) {
          logger.error({ err, stream: delivery.stored.streamId }, 'undecodable transfer event: parked');
          await sub.park([delivery.ackId], err.message).catch(() => {});
          return;
        }
        progress.storeFailing = true;
        logger.warn({ err, transfer_id: transferId }, 'transfer document not written; retried');
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        await sub.retry([delivery.ackId], err instanceof Error ? err.message : String(err)).catch(() => {});
      }
    },
    { stopping: () => stopping, onDropped: (err) => logger.warn({ err }, 'transfer documents subscription dropped; reconnecting') },
  );
  // Looked at before the live writes start, which would make it look filled.
  const startedEmpty = await (await documents()).isEmpty();
  const running = loop();

  // The subscription group's checkpoint lives in the event store, the documents in Mongo: a
  // collection found empty at start (a first start after an upgrade, or the in-memory
  // embedded server, empty at every start) or a read store that lost its data while running
  // (its registry entry created anew) would never get the transfers already acked. So then
  // the collection is filled from the transfer streams of $all, beside the live writes (both
  // guarded by the stream revision, so their order does not matter).
  let seededEpoch: string | null | undefined;
  const seedIfNeeded = async (): Promise<void> => {
    await registry.ensure(TRANSFERS_PROJECTION, TRANSFERS_COLLECTION);
    const epoch = await registry.registeredAt(TRANSFERS_PROJECTION);
    if (seededEpoch !== undefined && epoch === seededEpoch) return;
    const target = await documents();
    if (seededEpoch === undefined && !startedEmpty) {
      await registry.markFilled(TRANSFERS_PROJECTION, epoch);
      seededEpoch = epoch;
      return;
    }
    await target.ensureIndexes();
    const fold = transferRebuildTarget(target, decoder);
    const log = new AccountLogReader(client, TRANSFER_STREAM_PREFIX);
    let events = 0;
    for (let after: LogPosition | undefined; !stopping; ) {
      const page = await log.page(after, SEED_PAGE);
      await fold.apply(page.events);
      events += page.events.length;
      after = page.last;
      if (page.atHead) break;
    }
    if (stopping) return;
    // Until now the entry said `starting`: ListTransfers answered UNAVAILABLE, not an incomplete list.
    await registry.markFilled(TRANSFERS_PROJECTION, epoch);
    seededEpoch = epoch;
    logger.info({ collection: target.collection, events }, 'transfers collection filled from the event store');
  };
  let seeding: Promise<void> | undefined;
  const seed = () => {
    seeding ??= seedIfNeeded()
      .catch((err: unknown) => logger.warn({ err }, 'transfers collection not filled from the event store yet; retried'))
      .finally(() => { seeding = undefined; });
  };
  seed();
  const seedTimer = setInterval(seed, SEED_CHECK_MS);
  seedTimer.unref();

  // Status, checkpoint and lag in the registry, as the account projector reports them (Admin ListProjections).
  // An entry not yet filled keeps `starting` (only seedIfNeeded's markFilled ends it).
  const statusWriter = { updateStatus: (...args: Parameters<ProjectionRegistry['updateStatus']>) => registry.updateStatus(args[0], args[1], args[2], { keepStarting: true }) };
  const reporter = new ProjectionLagReporter([TRANSFERS_PROJECTION], statusWriter, { countHolds: async () => 0 }, {
    countAfter: (position, cap) => countAccountEventsAfter(client, position, cap, TRANSFER_STREAM_PREFIX),
    headCreated: async () => (await headOfLog(client))?.created,
    parkedCount: async () => (await subscriptionGroupStats(client, group))?.parkedCount,
  }, progress, logger);
  reporter.start(statusIntervalMs);
  logger.info({ group }, 'transfer documents started');
  return {
    stop: async () => {
      stopping = true;
      clearInterval(seedTimer);
      await subscription?.close().catch(() => {});
      await Promise.race([Promise.all([running, seeding]), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await reporter.stop();
    },
  };
}
