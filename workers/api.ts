import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { CommandHandler, Transfers, type CommandHandlerOptions } from '../src/app/index.js';
import { EsdbTransferEventStore } from '../src/eventstore/transfer-event-store.js';
import { TransferOutcomeFeed } from '../src/eventstore/transfer-outcome-feed.js';
import type { AccountSnapshots } from '../src/app/account-snapshot.js';
import { esdbConnectionString, loadConfig, redisConnectionUrl, type Config, configSecrets } from '../src/config.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { checkEventStoreCredentials, connectEventStore } from '../src/eventstore/connection.js';
import { startApiServer, type ApiServer } from '../src/grpc/server.js';
import { apiAuthentication } from '../src/grpc/api-authentication.js';
import { apiServerCredentials } from '../src/grpc/server-tls.js';
import type { AccountReadModelQueries } from '../src/grpc/account-queries-service.js';
import { Registry } from 'prom-client';
import { createLogger, createMetrics, startMetricsServer, type LedgerMetrics } from '../src/observability/index.js';
import { readStoreProfileOf } from '../src/readmodels/read-store-profile.js';
import { ReadModelAvailability } from '../src/readmodels/read-model-availability.js';
import { gatedReadModelQueries } from '../src/grpc/gated-read-model-queries.js';
import { ensureReadModel } from '../src/readmodels/read-model-schema.js';
import { AccountReadQueries } from '../src/readmodels/account-read-queries.js';
import { ReadModelQueriesService } from '../src/grpc/account-read-model-queries.js';
import { connectReadStore } from './read-store-client.js';
import { runIfEntry, stopOnSignal } from './process-entry.js';
import { commandSnapshots } from './command-snapshots.js';
import { configuredEventDecoder, logEventDecoder } from './event-decoding.js';

export type ApiParts = {
  readonly config: Config;
  /** Where the event store is (ESDB_URL, or the embedded server's string). */
  readonly esdbUrl: string;
  readonly logger: Logger;
  readonly metrics?: LedgerMetrics;
  readonly readModel?: AccountReadModelQueries;
  /** Snapshot reads for loads and as-of queries (issue 6). */
  readonly snapshots?: AccountSnapshots;
  /** Called after each append (the snapshot policy, issue 6). */
  readonly afterAppend?: CommandHandlerOptions['afterAppend'];
};

export type RunningApi = { readonly server: ApiServer; stop(): Promise<void> };

/** The API process's parts: event-store client → command handler → gRPC server. */
export async function startApi(parts: ApiParts): Promise<RunningApi> {
  const { config, logger } = parts;
  const esdb = connectEventStore(parts.esdbUrl);
  // Commands and as-of queries read events with the deployed repairs (issue 14).
  const decoder = configuredEventDecoder(config);
  logEventDecoder(logger, decoder);
  const store = new EsdbAccountEventStore(esdb.client, decoder);
  const handler = new CommandHandler({
    store,
    maxRetries: config.COMMAND_MAX_RETRIES,
    commandWindow: config.COMMAND_WINDOW,
    ...(parts.snapshots ? { snapshots: parts.snapshots } : {}),
    ...(parts.afterAppend ? { afterAppend: parts.afterAppend } : {}),
  });
  // TransferMoney records the debit and starts the transfer stream; GetTransfer folds it (issue 15),
  // a waiting one woken by the outcome feed.
  const outcomes = new TransferOutcomeFeed(esdb.client, decoder);
  const transfers = new Transfers(handler, new EsdbTransferEventStore(esdb.client, decoder), undefined, outcomes);
  // Who may call (issue 13): AUTH_MODE none is said loudly, once.
  const auth = apiAuthentication(config, readFileSync);
  for (const warning of auth.warnings) logger.warn({ auth_mode: config.AUTH_MODE }, warning);
  const server = await startApiServer({
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    maxMessageBytes: config.GRPC_MAX_MESSAGE_BYTES,
    transfers,
    handler,
    store,
    logger,
    credentials: apiServerCredentials(auth.tls, auth.clientCertificates),
    ...(auth.authenticate ? { authenticate: auth.authenticate } : {}),
    ...(parts.metrics ? { metrics: parts.metrics } : {}),
    ...(parts.readModel ? { readModel: parts.readModel } : {}),
    ...(parts.snapshots ? { snapshots: parts.snapshots } : {}),
  });
  return {
    server,
    stop: async () => {
      await server.close();
      await outcomes.close();
      await esdb.close();
    },
  };
}

/** Standalone entry: `tsx workers/api.ts` against ESDB_URL (npm start embeds the store instead). */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'api', level: config.LOG_LEVEL, secrets: configSecrets(config) });
  const esdbUrl = esdbConnectionString(config);
  if (esdbUrl === undefined) throw new Error('the standalone API needs ESDB_URL (npm start runs it with an embedded store)');
  // A secure node that refuses the credentials refuses every command: stop now, naming the cause (issue 16).
  await checkEventStoreCredentials(esdbUrl);
  // Metrics (issue 7): one registry for this process, served on METRICS_PORT.
  const metrics = createMetrics(new Registry(), { processMetrics: true });
  const metricsServer = await startMetricsServer({ registry: metrics.registry, host: config.METRICS_HOST, port: config.METRICS_PORT });
  // In a deployment the read model and the snapshot queue live elsewhere:
  // with MONGO_URL the read-model queries are served (the projector process
  // writes them), with REDIS_URL loads use snapshots and appends enqueue them.
  const mongo = config.MONGO_URL === undefined ? undefined : await connectReadStore(config.MONGO_URL, config);
  const readModel = mongo === undefined ? undefined : await (async () => {
    const db = mongo.db(config.MONGO_DB);
    const queries = new ReadModelQueriesService(new AccountReadQueries(db, await ensureReadModel(db, readStoreProfileOf(config))));
    return gatedReadModelQueries(queries, new ReadModelAvailability('mongo'));
  })();
  const redisUrl = redisConnectionUrl(config) ?? config.REDIS_URL;
  const snapshotting = redisUrl === undefined ? undefined : commandSnapshots(config, esdbUrl, redisUrl, logger);
  const api = await startApi({
    config, esdbUrl, logger, metrics,
    ...(readModel ? { readModel } : {}),
    ...(snapshotting ? { snapshots: snapshotting.snapshots, afterAppend: snapshotting.afterAppend } : {}),
  });
  // Signal handlers before the "started" line: whoever waits for that line may send SIGTERM at once.
  stopOnSignal(logger, 'api', [() => api.stop(), () => snapshotting?.close(), () => mongo?.close(), () => metricsServer.close()]);
  logger.info({ readModel: readModel !== undefined, snapshots: snapshotting !== undefined }, 'api started');
}

runIfEntry(import.meta.url, main);
