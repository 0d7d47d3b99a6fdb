import { join } from 'node:path';
import { esdbConnectionString, loadConfig, type Config, configSecrets } from '../src/config.js';
import { startEsdbServer } from '../src/esdb-server/index.js';
import { Registry } from 'prom-client';
import { createLogger, createMetrics, startMetricsServer, type LedgerMetrics, type Logger } from '../src/observability/index.js';
import { startApi } from './api.js';
import { startReadSide } from './projector.js';
import { startJobsPart, type JobsPart } from './jobs.js';
import { startTransferProcess } from './transfer-process.js';
import { connectReadStore } from './read-store-client.js';
import type { AccountReadModelQueries } from '../src/grpc/account-queries-service.js';

/**
 * `npm start`: every part of Ledger in one process, on embedded servers for
 * whatever *_URL is unset. Parts start in order and stop in reverse; add a
 * part by adding one entry to the list in main().
 */
type Part = { readonly name: string; stop(): Promise<void> };
type Context = { readonly config: Config; readonly logger: Logger; esdbUrl?: string; readModel?: AccountReadModelQueries; mongoUrl?: string; snapshotting?: Pick<JobsPart, 'snapshots' | 'afterAppend'>; metrics?: LedgerMetrics; readSideReady?: () => boolean; redisUp?: () => boolean };

/** Prometheus /metrics and /healthz on METRICS_PORT (issue 7); the API's commands are measured. */
async function metricsEndpoint(ctx: Context): Promise<Part> {
  const metrics = createMetrics(new Registry(), { processMetrics: true });
  // /healthz: unhealthy while the read model cannot answer (its Mongo down or being filled) or the embedded Redis is down.
  const ready = () => (ctx.readSideReady?.() ?? true) && (ctx.redisUp?.() ?? true);
  const server = await startMetricsServer({ registry: metrics.registry, host: ctx.config.METRICS_HOST, port: ctx.config.METRICS_PORT, ready });
  ctx.metrics = metrics;
  return { name: 'metrics', stop: () => server.close() };
}

/** The event store: ESDB_URL, or the embedded server with its log under DATA_DIR/esdb. */
async function eventStore(ctx: Context): Promise<Part> {
  const external = esdbConnectionString(ctx.config);
  if (external !== undefined) {
    ctx.esdbUrl = external;
    return { name: 'event store (external)', stop: async () => {} };
  }
  const esdb = await startEsdbServer({ port: 0, dataDir: join(ctx.config.DATA_DIR, 'esdb'), fsync: ctx.config.ESDB_FSYNC });
  ctx.esdbUrl = esdb.connectionString;
  ctx.logger.info({ url: esdb.connectionString, recovered: esdb.recovered }, 'embedded event store started');
  return { name: 'embedded event store', stop: () => esdb.stop() };
}

/** Mongo (MONGO_URL or an embedded Mongo-wire server), the projector and the read-model queries (issue 5). */
async function readSide(ctx: Context): Promise<Part> {
  if (ctx.esdbUrl === undefined) throw new Error('the projector needs the event store started first');
  const running = await startReadSide(ctx.config, ctx.esdbUrl, ctx.logger, ctx.metrics);
  if (running !== undefined) ctx.readModel = running.readModel;
  if (running !== undefined) ctx.mongoUrl = running.mongoUrl;
  if (running !== undefined) ctx.readSideReady = () => running.availability.open;
  return { name: 'read side', stop: async () => running?.stop() };
}

/** Redis (REDIS_URL or embedded), snapshot and rebuild workers, the Admin API (issue 6). Needs the read model's Mongo. */
async function jobs(ctx: Context): Promise<Part> {
  if (ctx.esdbUrl === undefined || ctx.mongoUrl === undefined) {
    ctx.logger.warn('no read model: the jobs worker (snapshots, rebuilds, Admin API) is not started');
    return { name: 'jobs (off)', stop: async () => {} };
  }
  const running = await startJobsPart(ctx.config, ctx.esdbUrl, ctx.mongoUrl, ctx.logger.child({ part: 'jobs' }), ctx.metrics);
  ctx.snapshotting = { snapshots: running.snapshots, afterAppend: running.afterAppend };
  ctx.redisUp = running.redisUp;
  return { name: 'jobs', stop: () => running.stop() };
}

async function api(ctx: Context): Promise<Part> {
  if (ctx.esdbUrl === undefined) throw new Error('the API needs the event store started first');
  const running = await startApi({ config: ctx.config, esdbUrl: ctx.esdbUrl, logger: ctx.logger.child({ part: 'api' }), ...(ctx.readModel ? { readModel: ctx.readModel } : {}), ...(ctx.snapshotting ?? {}), ...(ctx.metrics ? { metrics: ctx.metrics } : {}) });
  return { name: 'api', stop: () => running.stop() };
}

/** The transfer process manager (issue 15): credits destinations or refunds sources, fed by its own subscription group. */
async function transferProcess(ctx: Context): Promise<Part> {
  if (ctx.esdbUrl === undefined) throw new Error('the transfer process needs the event store started first');
  // With the read model's Mongo it also keeps the `transfers` collection.
  const mongo = ctx.mongoUrl === undefined ? undefined : await connectReadStore(ctx.mongoUrl, ctx.config);
  const running = await startTransferProcess(ctx.config, ctx.esdbUrl, ctx.logger.child({ part: 'transfers' }), undefined, mongo?.db(ctx.config.MONGO_DB));
  return { name: 'transfer process', stop: async () => { await running.stop(); await mongo?.close(); } };
}

/** How long stopping all parts may take before the process exits anyway. */
const STOP_BOUND_MS = 8_000;
/** A signal this soon after the first is the same Ctrl-C delivered twice. */
const REPEAT_MEANS_NOW_AFTER_MS = 1_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const ctx: Context = { config, logger: createLogger({ service: 'ledger', level: config.LOG_LEVEL, secrets: configSecrets(config) }) };
  const parts: Part[] = [];
  const stopAll = async () => {
    for (const part of parts.reverse()) {
      await part.stop().then(
        () => ctx.logger.info({ part: part.name }, 'part stopped'),
        (err: unknown) => ctx.logger.error({ err, part: part.name }, 'stop failed'),
      );
    }
  };
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C can arrive twice (the terminal signals the whole group,
      // and a wrapper such as the tsx CLI relays it): only a later one means "now".
      if (Date.now() - stoppingSince < REPEAT_MEANS_NOW_AFTER_MS) return;
      ctx.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    ctx.logger.info({ signal }, 'ledger stopping');
    // Ctrl-C ends Ledger within 10 s (issue 11) even if a part hangs on a dead
    // dependency; the child servers die with the process (parent-death signal).
    // Referenced, so the event loop stays alive while a stop step awaits a
    // promise no handle holds (as in stopOnSignal).
    const bound = setTimeout(() => {
      ctx.logger.error({ afterMs: STOP_BOUND_MS }, 'parts did not stop in time: exiting');
      process.exit(1);
    }, STOP_BOUND_MS);
    void stopAll().then(() => {
      clearTimeout(bound);
      ctx.logger.info('ledger stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    for (const start of [metricsEndpoint, eventStore, readSide, jobs, api, transferProcess]) {
      const part = await start(ctx);
      parts.push(part);
      ctx.logger.info({ part: part.name }, 'part started');
    }
  } catch (err) {
    ctx.logger.fatal({ err }, 'start failed');
    await stopAll();
    process.exit(1);
  }
  ctx.logger.info({ parts: parts.map((p) => p.name) }, 'ledger started');
}

void main();
