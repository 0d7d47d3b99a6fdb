import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, type EmbeddedRedis } from '../src/embedded/index.js';
import type { Logger } from 'pino';
import { esdbConnectionString, loadConfig, redisConnectionUrl, redisTlsOptions, type Config, configSecrets } from '../src/config.js';
import { Registry } from 'prom-client';
import { createLogger, createMetrics, startMetricsServer, timeJob, type LedgerMetrics } from '../src/observability/index.js';
import { checkEventStoreCredentials, connectEventStore } from '../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { EsdbAccountSnapshots } from '../src/eventstore/snapshot-account-store.js';
import { AccountLogReader } from '../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import { replayParkedAccountEvents, subscriptionGroupStats } from '../src/eventstore/persistent-subscription-admin.js';
import { listParkedEventsOfGroups } from '../src/eventstore/parked-events.js';
import { ledgerSubscriptionGroups } from '../src/eventstore/ledger-subscription-groups.js';
import { auditEventStore } from '../src/eventstore/money-audit-source.js';
import { takeSnapshot } from '../src/app/take-snapshot.js';
import type { AccountSnapshots } from '../src/app/account-snapshot.js';
import type { LoadedAccount } from '../src/app/index.js';
import { SnapshotWorker } from '../src/jobs/snapshot-worker.js';
import { RebuildWorker } from '../src/jobs/rebuild-worker.js';
import { RebuildJobs } from '../src/jobs/rebuild-jobs.js';
import type { RedisTls } from '../src/jobs/redis-connection.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import { ensureReadModel } from '../src/readmodels/read-model-schema.js';
import { readStoreProfileOf } from '../src/readmodels/read-store-profile.js';
import { runRebuild } from '../src/readmodels/rebuild.js';
import { mongoRebuildCollections } from '../src/readmodels/rebuild-collections.js';
import { isRebuildableProjection, rebuildTargetFor, rebuildableProjections } from '../src/readmodels/rebuild-target.js';
import { runIfEntry, stopOnSignal } from './process-entry.js';
import { connectReadStore } from './read-store-client.js';
import { commandSnapshots } from './command-snapshots.js';
import { startAdminServer, type AdminServer } from '../src/grpc/admin-service-server.js';
import { configuredEventDecoder, logEventDecoder } from './event-decoding.js';
import { listHeldAccounts } from '../src/readmodels/held-accounts.js';
import { TRANSFERS_PROJECTION } from '../src/readmodels/transfer-documents.js';
import { rebuildTransfers } from './transfer-rebuild.js';

export type JobsParts = {
  readonly config: Config;
  readonly esdbUrl: string;
  readonly mongoUrl: string;
  readonly redisUrl: string;
  /** REDIS_TLS_CA_FILE's CA, for a Redis with a private CA. */
  readonly redisTls?: RedisTls;
  readonly logger: Logger;
  readonly metrics?: LedgerMetrics;
};

export type RunningJobs = { readonly admin: AdminServer; stop(): Promise<void> };

/**
 * The jobs process: SnapshotJob + sweep, RebuildJob + delayed drops, and the
 * Admin gRPC API that enqueues rebuilds. Several may run against the same
 * Redis; BullMQ hands each job to one of them.
 */
export async function startJobs(parts: JobsParts): Promise<RunningJobs> {
  const { config, logger } = parts;
  const esdb = connectEventStore(parts.esdbUrl);
  // MONGO_* credentials and TLS are for MONGO_URL; npm start's embedded Mongo-wire server has neither.
  const mongo = await connectReadStore(parts.mongoUrl, config);
  const db = mongo.db(config.MONGO_DB);
  const readStore = readStoreProfileOf(config);
  const registry = await ensureReadModel(db, readStore);
  // Snapshots and rebuilds read events as the command side and the projector do (issue 14).
  const decoder = configuredEventDecoder(config);
  logEventDecoder(logger, decoder);
  const store = new EsdbAccountEventStore(esdb.client, decoder);
  const snapshots = new EsdbAccountSnapshots(esdb.client, { keep: 10, commandWindow: config.SNAPSHOT_EVERY });
  const log = new AccountLogReader(esdb.client);
  const readModel = new MongoReadModelStore(db, readStore);
  const collections = mongoRebuildCollections(db, readStore);
  const onError = (err: Error) => logger.warn({ err }, 'job queue error');
  // Job durations and failures (issue 7); without metrics the work runs as is.
  const timed = <R>(queue: string, work: () => Promise<R>): Promise<R> =>
    parts.metrics ? timeJob(parts.metrics, queue, queue, work) : work();

  const tls = parts.redisTls ? { redisTls: parts.redisTls } : {};
  const snapshotWorker = await SnapshotWorker.start({
    redisUrl: parts.redisUrl,
    ...tls,
    every: config.SNAPSHOT_EVERY,
    sweepEveryMs: config.SNAPSHOT_SWEEP_MS,
    takeSnapshot: (accountId) => timed('snapshot', () => takeSnapshot(store, snapshots, accountId)),
    log,
    onError,
  });
  const rebuildWorker = new RebuildWorker({
    redisUrl: parts.redisUrl,
    ...tls,
    graceMs: config.REBUILD_GRACE_MS,
    lockMs: config.JOBS_LOCK_MS,
    onError,
    dropCollection: async (name) => {
      logger.info({ collection: name }, 'dropping replaced read-model collection');
      await collections.drop(name);
    },
    run: (data, control) => timed('rebuild', async () => {
      if (data.projection === TRANSFERS_PROJECTION) {
        return rebuildTransfers(esdb.client, db, registry, decoder, data, control, { batchSize: config.REBUILD_BATCH_SIZE, settleMs: config.REBUILD_SETTLE_MS });
      }
      if (!isRebuildableProjection(data.projection)) throw new Error(`unknown projection ${data.projection}`);
      logger.info({ rebuild: data.rebuildId, projection: data.projection, resumedAt: control.recorded()?.position }, 'rebuild running');
      const target = rebuildTargetFor(data.projection, data.targetCollection, readModel, log, collections, decoder);
      // One filtered catch-up subscription per run: the server filters `account-`, events stream in while a batch is written.
      const source = new AccountLogSubscription(esdb.client, () => log.head());
      const outcome = await runRebuild(source, target, {
        activeCollection: (p) => registry.getActiveCollection(p),
        registeredAt: (p) => registry.registeredAt(p),
        setActiveCollection: (p, c) => registry.setActiveCollection(p, c),
      }, control, { projection: data.projection, batchSize: config.REBUILD_BATCH_SIZE, settleMs: config.REBUILD_SETTLE_MS, flushEveryMs: config.REBUILD_FLUSH_MS })
        .finally(() => source.close());
      const held = outcome.progress.held ?? [];
      logger.info({ rebuild: data.rebuildId, phase: outcome.phase, events: outcome.progress.eventsDone, held_accounts: held.length }, 'rebuild finished');
      // Each account the rebuild held at a damaged event, as the projector logs its parked ones (issue 14).
      for (const h of held) logger.warn({ rebuild: data.rebuildId, account_id: h.accountId, revision: h.revision, event_id: h.eventId, reason: h.reason }, 'rebuild held an account at an event it could not read');
      return outcome;
    }),
  });
  const rebuilds = new RebuildJobs(parts.redisUrl, parts.redisTls);
  const admin = await startAdminServer({
    token: config.ADMIN_TOKEN,
    rebuildable: [...rebuildableProjections, TRANSFERS_PROJECTION],
    defaultGroup: config.PROJECTOR_GROUP,
    rebuilds,
    listProjections: () => registry.list(),
    replayParked: async (group) => {
      const before = await subscriptionGroupStats(esdb.client, group);
      if (!before) return undefined;
      return (await replayParkedAccountEvents(esdb.client, group)) ? before.parkedCount : undefined;
    },
    heldAccounts: () => listHeldAccounts(db, 100),
    parkedEvents: () => listParkedEventsOfGroups(esdb.client, ledgerSubscriptionGroups(config), 100),
    eventDecoding: { repairs: decoder.repairs, upcasters: decoder.upcasters },
    auditMoney: () => auditEventStore(esdb.client, decoder),
  }, config.ADMIN_HOST, config.ADMIN_PORT);
  if (config.ADMIN_TOKEN === undefined) logger.warn('ADMIN_TOKEN is not set: the Admin API refuses every call');
  logger.info({ host: config.ADMIN_HOST, port: admin.port }, 'Admin API listening');

  return {
    admin,
    stop: async () => {
      const step = async (name: string, f: () => Promise<void>) => {
        const t = Date.now();
        await f();
        logger.debug({ step: name, ms: Date.now() - t }, 'jobs stop step');
      };
      await step('admin', () => admin.close());
      await step('rebuilds', () => rebuilds.close());
      await step('snapshot worker', () => snapshotWorker.close());
      await step('rebuild worker', () => rebuildWorker.close());
      await step('mongo', () => mongo.close());
      await step('esdb', () => esdb.close());
    },
  };
}

/**
 * The jobs part of `npm start`: REDIS_URL or an embedded redis-server (AOF
 * under DATA_DIR/redis), then startJobs. Sets where Redis is, for the API's snapshot enqueues.
 */
export type JobsPart = RunningJobs & {
  readonly redisUrl: string;
  /** For /healthz: false while the embedded redis-server is down (an external Redis is not watched here). */
  readonly redisUp: () => boolean;
  /** For the API's command handler: snapshot reads and the policy that enqueues SnapshotJobs. */
  readonly snapshots: AccountSnapshots;
  readonly afterAppend: (loaded: LoadedAccount, previousRevision: bigint) => void;
};

export async function startJobsPart(config: Config, esdbUrl: string, mongoUrl: string, logger: Logger, metrics?: LedgerMetrics): Promise<JobsPart> {
  let embedded: EmbeddedRedis | undefined;
  // REDIS_USERNAME/PASSWORD folded in, as for the standalone worker (issue 13: npm start used REDIS_URL as is and looped on NOAUTH).
  let redisUrl = redisConnectionUrl(config);
  if (redisUrl === undefined) {
    const dataDir = join(config.DATA_DIR, 'redis');
    mkdirSync(dataDir, { recursive: true });
    // Supervised: restarted on its port if it dies, its down/up logged (issue 11).
    embedded = await startRedis({ dataDir, logger });
    redisUrl = embedded.url;
    logger.info({ url: redisUrl }, 'embedded redis-server started for the job queues');
  }
  const redisTls = redisTlsOptions(config, readFileSync);
  const running = await startJobs({ config, esdbUrl, mongoUrl, redisUrl, ...(redisTls ? { redisTls } : {}), logger, ...(metrics ? { metrics } : {}) });
  const snapshotting = commandSnapshots(config, esdbUrl, redisUrl, logger);
  return {
    admin: running.admin,
    redisUrl,
    redisUp: () => embedded?.up ?? true,
    snapshots: snapshotting.snapshots,
    afterAppend: snapshotting.afterAppend,
    stop: async () => {
      await snapshotting.close();
      await running.stop();
      await embedded?.stop();
    },
  };
}

/** Standalone entry: `tsx workers/jobs.ts` with ESDB_URL, MONGO_URL and REDIS_URL set. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'jobs', level: config.LOG_LEVEL, secrets: configSecrets(config) });
  const esdbUrl = esdbConnectionString(config) ?? config.ESDB_URL;
  if (esdbUrl === undefined || config.MONGO_URL === undefined || config.REDIS_URL === undefined) {
    throw new Error('the standalone jobs worker needs ESDB_URL, MONGO_URL and REDIS_URL (npm start runs it with embedded servers)');
  }
  // Refused event-store credentials would fail every snapshot and rebuild: stop now, naming the cause.
  await checkEventStoreCredentials(esdbUrl);
  // Metrics and /healthz on METRICS_PORT; Redis credentials from the config (issue 7).
  const metrics = createMetrics(new Registry(), { processMetrics: true });
  const redisUrl = redisConnectionUrl(config) ?? config.REDIS_URL;
  const redisTls = redisTlsOptions(config, readFileSync);
  const running = await startJobs({ config, esdbUrl, mongoUrl: config.MONGO_URL, redisUrl, ...(redisTls ? { redisTls } : {}), logger, metrics });
  const metricsServer = await startMetricsServer({ registry: metrics.registry, host: config.METRICS_HOST, port: config.METRICS_PORT });
  stopOnSignal(logger, 'jobs worker', [() => running.stop(), () => metricsServer.close()]);
}

runIfEntry(import.meta.url, main);
