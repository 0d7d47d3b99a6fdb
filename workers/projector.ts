import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import type { Logger } from 'pino';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { esdbConnectionString, loadConfig, type Config, configSecrets } from '../src/config.js';
import { Registry } from 'prom-client';
import { createLogger, createMetrics, projectorBatchHook, startMetricsServer, type LedgerMetrics } from '../src/observability/index.js';
import { checkEventStoreCredentials, connectEventStore } from '../src/eventstore/connection.js';
import { AccountSubscription, ensureAccountSubscriptionGroup, type ConsumerStrategyName } from '../src/eventstore/persistent-subscription.js';
import { countAccountEventsAfter, headOfLog, subscriptionGroupStats } from '../src/eventstore/persistent-subscription-admin.js';
import { AccountGapReader } from '../src/eventstore/persistent-subscription-gap-reader.js';
import { AccountProjectionWriter } from '../src/readmodels/account-projection-writer.js';
import { AccountProjector } from '../src/readmodels/account-projector.js';
import { AccountSummaryProjection } from '../src/readmodels/account-summary-projection.js';
import { AccountTransactionsProjection } from '../src/readmodels/account-transactions-projection.js';
import { MongoReadModelStore } from '../src/readmodels/mongo-read-model-store.js';
import { ProjectionLagReporter } from '../src/readmodels/projection-lag-reporter.js';
import type { ProjectionRegistry } from '../src/readmodels/projection-registry.js';
import { ensureReadModel } from '../src/readmodels/read-model-schema.js';
import type { ProjectionTargets } from '../src/readmodels/read-model-store.js';
import type { ProjectionSource } from '../src/readmodels/projection-source.js';
import { recordedEventDecoder } from '../src/readmodels/event-repairs.js';
import { plainEventDecoder, type EventDecoder } from '../src/domain/event-decoder.js';
import { configuredEventDecoder, logEventDecoder } from './event-decoding.js';
import { AccountReadQueries } from '../src/readmodels/account-read-queries.js';
import { readStoreProfile, readStoreProfileOf, type ReadStoreProfile } from '../src/readmodels/read-store-profile.js';
import { seedReadModel, type SeedResult } from '../src/readmodels/read-model-seed.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import { AccountLogReader } from '../src/eventstore/rebuild-source.js';
import { startFerretDb, startMongoJavaServer, type EmbeddedMongo } from '../src/embedded/index.js';
import { ReadModelAvailability } from '../src/readmodels/read-model-availability.js';
import { gatedReadModelQueries } from '../src/grpc/gated-read-model-queries.js';
import type { AccountReadModelQueries } from '../src/grpc/account-queries-service.js';
import { runIfEntry, stopOnSignal } from './process-entry.js';
import { connectReadStore } from './read-store-client.js';
import { ReadModelQueriesService } from '../src/grpc/account-read-model-queries.js';

export type ProjectorSettings = {
  /** The Mongo-wire server's profile (bulk size, deadlines, guard index). Default: MongoDB's. */
  readonly readStore?: ReadStoreProfile;
  /**
   * Fill the read model from the log before consuming: for a store that keeps
   * nothing across restarts (the embedded mongo-java-server).
   */
  readonly seedFromLog?: boolean;
  readonly group: string;
  readonly consumerStrategy: ConsumerStrategyName;
  readonly batchSize: number;
  readonly batchMs: number;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
  readonly messageTimeoutMs: number;
  readonly statusIntervalMs: number;
  /**
   * The decoding pipeline with the deployed repairs (EVENT_REPAIRS,
   * EVENT_REPAIRS_FILE; issue 14), for the projector, its gap fills and the
   * seed alike. Default: the shipped upcasters, no repairs.
   */
  readonly decoder?: EventDecoder;
};

export const projectorSettings = (config: Config): ProjectorSettings => ({
  readStore: readStoreProfileOf(config),
  group: config.PROJECTOR_GROUP,
  consumerStrategy: config.PROJECTOR_CONSUMER_STRATEGY,
  batchSize: config.PROJECTOR_BATCH_SIZE,
  batchMs: config.PROJECTOR_BATCH_MS,
  maxRetries: config.PROJECTOR_MAX_RETRIES,
  retryBackoffMs: config.PROJECTOR_RETRY_BACKOFF_MS,
  messageTimeoutMs: config.PROJECTOR_MESSAGE_TIMEOUT_MS,
  statusIntervalMs: config.PROJECTOR_STATUS_INTERVAL_MS,
  decoder: configuredEventDecoder(config),
});

export type RunningProjector = {
  readonly projector: AccountProjector;
  readonly registry: ProjectionRegistry;
  readonly store: MongoReadModelStore;
  /**
   * Recreates the read model's collections and indexes and fills them from
   * the log: after the embedded in-memory Mongo came back empty.
   */
  reseed(): Promise<SeedResult>;
  /** Graceful: finish the batch in hand, ack, close the subscription. The caller closes the clients it passed in. */
  stop(): Promise<void>;
};

/** How long the active-collection pointer is trusted before it is read again (a rebuild swap shows up within this). */
const TARGETS_TTL_MS = 1_000;

/**
 * Starts a projector on clients the caller owns: ensures the read model and
 * the subscription group, then consumes until stop().
 */
export type ProjectorHooks = {
  /** Wraps each subscription consumer (a decorator: tracing, fault injection in tests). */
  readonly decorateSource?: (source: ProjectionSource) => ProjectionSource;
};

export async function startProjector(
  esdb: EventStoreDBClient, db: Db, settings: ProjectorSettings, logger: Logger, metrics?: LedgerMetrics, hooks: ProjectorHooks = {},
): Promise<RunningProjector> {
  const readStore = settings.readStore ?? readStoreProfile('mongodb');
  const registry = await ensureReadModel(db, readStore);
  const created = await ensureAccountSubscriptionGroup(esdb, {
    group: settings.group,
    consumerStrategy: settings.consumerStrategy,
    // The projector parks by itself after maxRetries of a failing event. The
    // server's own limit counts timeouts too, which a Mongo outage causes
    // while the projector holds its batch: kept high, so an outage of up to
    // ~100 message timeouts never parks healthy events.
    maxRetryCount: Math.max(settings.maxRetries + 5, 100),
    messageTimeoutMs: settings.messageTimeoutMs,
  });
  logger.info({ group: settings.group, created: created === 'created', strategy: settings.consumerStrategy }, 'projector subscription group ready');
  const store = new MongoReadModelStore(db, readStore);
  const decoder = settings.decoder ?? plainEventDecoder;
  logEventDecoder(logger, decoder);
  const decode = recordedEventDecoder(decoder);
  const writer = new AccountProjectionWriter(store, new AccountGapReader(esdb), decode);
  let cached: { targets: ProjectionTargets; at: number } | undefined;
  const targets = async (): Promise<ProjectionTargets> => {
    if (cached === undefined || Date.now() - cached.at > TARGETS_TTL_MS) {
      cached = {
        at: Date.now(),
        targets: {
          summaries: await registry.getActiveCollection(AccountSummaryProjection.name),
          transactions: await registry.getActiveCollection(AccountTransactionsProjection.name),
        },
      };
    }
    return cached.targets;
  };
  const decorate = hooks.decorateSource ?? ((source: ProjectionSource) => source);
  const openSource = (): ProjectionSource => decorate(AccountSubscription.open(esdb, settings.group, settings.batchSize * 2));
  const projector = new AccountProjector(openSource, writer, store, targets, {
    decode,
    batchSize: settings.batchSize,
    batchMs: settings.batchMs,
    maxRetries: settings.maxRetries,
    retryBackoffMs: settings.retryBackoffMs,
    unavailableBackoffMaxMs: 5_000,
    logger,
    ...(metrics ? { onBatch: projectorBatchHook(metrics, 'accounts', settings.group) } : {}),
  });
  const reporter = new ProjectionLagReporter(
    [AccountSummaryProjection.name, AccountTransactionsProjection.name],
    registry,
    store,
    {
      countAfter: (position, cap) => countAccountEventsAfter(esdb, position, cap),
      headCreated: async () => (await headOfLog(esdb))?.created,
      parkedCount: async () => (await subscriptionGroupStats(esdb, settings.group))?.parkedCount,
    },
    projector.progress,
    logger,
  );
  metrics?.watchProjectorLag([AccountSummaryProjection.name, AccountTransactionsProjection.name], () => reporter.measure());
  const seed = async (): Promise<SeedResult> => {
    const started = Date.now();
    const source = new AccountLogSubscription(esdb, () => new AccountLogReader(esdb).head());
    try {
      const seeded = await seedReadModel(source, writer, await targets(), decode, settings.batchSize);
      logger.info({ events: seeded.events, ms: Date.now() - started }, 'read model filled from the event store');
      return seeded;
    } finally {
      await source.close();
    }
  };
  if (settings.seedFromLog === true) await seed();
  projector.start();
  reporter.start(settings.statusIntervalMs);
  return {
    projector,
    registry,
    store,
    reseed: async () => {
      await ensureReadModel(db, readStore);
      cached = undefined;
      return seed();
    },
    stop: async () => {
      await projector.stop();
      await reporter.stop();
    },
  };
}

export type RunningReadSide = {
  /** What the API serves GetAccount, ListAccountsByOwner and ListTransactions from. */
  readonly readModel: AccountReadModelQueries;
  /** The Mongo the read model lives in (MONGO_URL or the embedded server, wherever it restarted); the jobs worker rebuilds there. */
  readonly mongoUrl: string;
  /** Closed while Mongo is down or the read model is being filled: queries answer UNAVAILABLE, /healthz is unhealthy. */
  readonly availability: ReadModelAvailability;
  stop(): Promise<void>;
};

/** The Mongo-wire server `npm start` runs when MONGO_URL is unset (MONGO_SERVER picks which). */
async function startEmbeddedMongo(config: Config, logger: Logger): Promise<EmbeddedMongo> {
  const server = readStoreProfileOf(config).server;
  const supervision = { logger: logger.child({ part: 'supervisor' }) };
  if (server === 'ferretdb') {
    const dataDir = join(config.DATA_DIR, 'ferretdb');
    mkdirSync(dataDir, { recursive: true });
    return startFerretDb({ dataDir, ...supervision });
  }
  // In memory: the directory holds only the pid file that finds a leftover server.
  return startMongoJavaServer({ dataDir: join(config.DATA_DIR, 'mongo-java-server'), ...supervision });
}

/**
 * `npm start`'s read side: Mongo (MONGO_URL, or an embedded Mongo-wire
 * server: mongo-java-server in memory by default, FerretDB with its data
 * under DATA_DIR/ferretdb), the projector, and the read-model queries. An
 * in-memory server is filled from the event store after every start and
 * restart; queries answer UNAVAILABLE until it is full. Undefined when no
 * Mongo can be had: the API then answers those queries UNIMPLEMENTED and
 * says why in the log.
 */
export async function startReadSide(config: Config, esdbUrl: string, logger: Logger, metrics?: LedgerMetrics): Promise<RunningReadSide | undefined> {
  const readStore = readStoreProfileOf(config);
  let embedded: EmbeddedMongo | undefined;
  let url = config.MONGO_URL;
  if (url === undefined) {
    try {
      embedded = await startEmbeddedMongo(config, logger);
      url = embedded.url;
      logger.info({ url, server: readStore.server, inMemory: readStore.inMemory }, 'embedded Mongo-wire server started for the read model');
    } catch (err) {
      logger.warn({ err: String(err) }, 'no MONGO_URL and no embedded Mongo-wire server: running without the read model');
      return undefined;
    }
  }
  const availability = new ReadModelAvailability('mongo', readStore.inMemory ? 'filling the read model from the event store' : 'open');
  const esdb = connectEventStore(esdbUrl);
  const projectorLogger = logger.child({ part: 'projector' });
  // Read once (it loads EVENT_REPAIRS_FILE): a reconnect reuses it.
  const settings = projectorSettings(config);
  type Session = { readonly mongo: MongoClient; readonly running: RunningProjector; readonly queries: ReadModelQueriesService };
  const open = async (mongoUrl: string): Promise<Session> => {
    const mongo = await connectReadStore(mongoUrl, config);
    const db = mongo.db(config.MONGO_DB);
    const running = await startProjector(esdb.client, db, settings, projectorLogger, metrics);
    return { mongo, running, queries: new ReadModelQueriesService(new AccountReadQueries(db, running.registry)) };
  };
  const close = async (session: Session): Promise<void> => {
    // Bounded: a projector holding a batch for a dead store is not waited for long.
    await Promise.race([session.running.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]).catch(() => {});
    await session.mongo.close(true).catch(() => {});
  };
  let session = await open(url);
  let stopping = false;
  // Fill (again) in the background: commands are served meanwhile, queries wait for it.
  let work: Promise<void> = Promise.resolve();
  const retrying = (what: string, step: () => Promise<void>): void => {
    work = work.then(async () => {
      for (let attempt = 0; !stopping; attempt += 1) {
        try {
          await step();
          availability.reopen();
          return;
        } catch (err) {
          projectorLogger.warn({ err: String(err), attempt }, `${what} failed; retrying`);
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
        }
      }
    });
  };
  if (readStore.inMemory) retrying('filling the read model', async () => { await session.running.reseed(); });
  embedded?.on('down', () => availability.close('the embedded Mongo-wire server is down; restarting'));
  embedded?.on('up', (up) => {
    availability.close(readStore.inMemory ? 'the embedded Mongo-wire server restarted empty; filling the read model from the event store' : 'reconnecting to the restarted Mongo-wire server');
    // A new client and projector: a client that lived through the server's
    // death was seen (1 run in 4) to fail server selection for good after it.
    retrying('reconnecting the read side', async () => {
      await close(session);
      session = await open(up.url);
      if (readStore.inMemory) await session.running.reseed();
    });
  });
  const current: AccountReadModelQueries = {
    getAccount: (req, ctx) => session.queries.getAccount(req, ctx),
    listAccountsByOwner: (req, ctx) => session.queries.listAccountsByOwner(req, ctx),
    listTransactions: (req, ctx) => session.queries.listTransactions(req, ctx),
    listTransfers: (req, ctx) => session.queries.listTransfers(req, ctx),
  };
  return {
    readModel: gatedReadModelQueries(current, availability),
    get mongoUrl() { return embedded?.url ?? url; },
    availability,
    stop: async () => {
      stopping = true;
      await work;
      await close(session);
      await esdb.close();
      await embedded?.stop();
    },
  };
}

/** Standalone entry: `tsx workers/projector.ts` with ESDB_URL and MONGO_URL set. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'projector', level: config.LOG_LEVEL, secrets: configSecrets(config) });
  if (config.ESDB_URL === undefined || config.MONGO_URL === undefined) {
    // An embedded event store in this process would be empty and private to
    // it; `npm start` runs the projector next to the embedded servers instead.
    throw new Error('the standalone projector needs ESDB_URL and MONGO_URL (npm start runs it with embedded servers)');
  }
  // TLS and credentials pass through from the config (issue 7).
  const esdbUrl = esdbConnectionString(config) ?? config.ESDB_URL;
  // Refused credentials would fail every read of the subscription: stop now, naming the cause (issue 16).
  await checkEventStoreCredentials(esdbUrl);
  const esdb = connectEventStore(esdbUrl);
  const mongo = await connectReadStore(config.MONGO_URL, config);
  // Metrics and /healthz (issue 7): ready while the projector is not waiting on a failing store.
  const metrics = createMetrics(new Registry(), { processMetrics: true });
  const running = await startProjector(esdb.client, mongo.db(config.MONGO_DB), projectorSettings(config), logger, metrics);
  const metricsServer = await startMetricsServer({
    registry: metrics.registry, host: config.METRICS_HOST, port: config.METRICS_PORT,
    ready: () => !running.projector.progress.storeFailing,
  });
  stopOnSignal(logger, 'projector', [() => running.stop(), () => metricsServer.close(), () => mongo.close(), () => esdb.close()]);
}

runIfEntry(import.meta.url, main);
