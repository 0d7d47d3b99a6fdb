import type { Logger } from 'pino';
import { CommandHandler, TransferProcess, TransferWatchdog } from '../src/app/index.js';
import { AccountLogReader } from '../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../src/eventstore/rebuild-subscription-source.js';
import { debitOf, decidedCreditOf } from '../src/app/transfer-deliveries.js';
import { configSecrets, esdbConnectionString, loadConfig, type Config } from '../src/config.js';
import { Registry } from 'prom-client';
import { createLogger, createMetrics, startMetricsServer } from '../src/observability/index.js';
import { runIfEntry, stopOnSignal } from './process-entry.js';
import { startTransferDocuments } from './transfer-documents.js';
import { transferDocumentsGroupOf } from '../src/eventstore/ledger-subscription-groups.js';
import { connectReadStore } from './read-store-client.js';
import type { Db } from 'mongodb';
import { MalformedEvent, decodeMetadata } from '../src/domain/index.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { checkEventStoreCredentials, connectEventStore } from '../src/eventstore/connection.js';
import { AccountSubscription, ensureAccountSubscriptionGroup, type Delivery } from '../src/eventstore/persistent-subscription.js';
import { followGroup } from '../src/eventstore/follow-group.js';
import { EsdbTransferEventStore } from '../src/eventstore/transfer-event-store.js';
import { accountIdOfStream } from '../src/readmodels/recorded-account-event.js';
import { configuredEventDecoder, logEventDecoder } from './event-decoding.js';

/**
 * The transfer process manager (issue 15): its own persistent subscription
 * group on the account streams, so it is deployed and scaled like the
 * projector (more instances share the group; every step is idempotent, so
 * redelivery, a crash between steps or two instances on one transfer never
 * credit or refund twice). It reacts to two account events, each step
 * acked only once done: a TransferDebited makes the destination decide
 * (credit or refusal); that decision (TransferCredited or
 * TransferCreditRefused, delivered in turn) records the outcome in the
 * transfer stream and settles or refunds the source. Every other event is
 * acked at once. Acks go out in batches (one message for the deliveries
 * handled within a turn of the event loop), never before the step is done.
 */
export type TransferProcessSettings = {
  readonly group: string;
  /** Deliveries handled at once (different transfers run in parallel). */
  readonly concurrency: number;
  readonly maxRetryCount: number;
  readonly messageTimeoutMs: number;
  /** How often the watchdog sweeps; 0: no watchdog. */
  readonly watchdogMs: number;
  /** A transfer still in flight this long after its debit is driven by the watchdog. */
  readonly stuckAfterMs: number;
  /** false: only the watchdog (tests of the watchdog alone). */
  readonly subscribe?: boolean;
};

export const transferProcessSettings = (config: Config): TransferProcessSettings => ({
  group: config.TRANSFER_GROUP,
  concurrency: config.TRANSFER_CONCURRENCY,
  maxRetryCount: 10,
  messageTimeoutMs: 30_000,
  watchdogMs: config.TRANSFER_WATCHDOG_MS,
  stuckAfterMs: config.TRANSFER_STUCK_AFTER_MS,
});

export type RunningTransferProcess = { stop(): Promise<void> };

export async function startTransferProcess(
  config: Config,
  esdbUrl: string,
  logger: Logger,
  settings: TransferProcessSettings = transferProcessSettings(config),
  /** The read model's database: with it, this process also keeps the `transfers` collection. */
  readStore?: Db,
): Promise<RunningTransferProcess> {
  const esdb = connectEventStore(esdbUrl);
  const decoder = configuredEventDecoder(config);
  logEventDecoder(logger, decoder);
  const accounts = new EsdbAccountEventStore(esdb.client, decoder);
  const handler = new CommandHandler({ store: accounts, maxRetries: config.COMMAND_MAX_RETRIES, commandWindow: config.COMMAND_WINDOW });
  const transferStreams = new EsdbTransferEventStore(esdb.client, decoder);
  const transfers = new TransferProcess(handler, accounts, transferStreams);
  const documents = readStore === undefined ? undefined : await startTransferDocuments(esdb.client, readStore, transferStreams, logger, transferDocumentsGroupOf(settings.group), decoder, config.PROJECTOR_STATUS_INTERVAL_MS);
  await ensureAccountSubscriptionGroup(esdb.client, { group: settings.group, consumerStrategy: 'RoundRobin', maxRetryCount: settings.maxRetryCount, messageTimeoutMs: settings.messageTimeoutMs });

  let stopping = false;
  let subscription: AccountSubscription | undefined;
  const acks = new AckBatches((err) => logger.warn({ err }, 'transfer acks not sent; the server delivers those events again'));
  const inFlight = new Set<Promise<void>>();

  const handle = async (sub: AccountSubscription, delivery: Delivery): Promise<void> => {
    const { stored } = delivery;
    const accountId = accountIdOfStream(stored.streamId);
    try {
      const event = accountId === undefined ? undefined : decoder.decode(stored);
      // Every account event passes here, the API's debits included: the handler's cached
      // accounts follow them, so a settle or credit rarely conflicts (synchronous, so in delivery order).
      if (accountId !== undefined) handler.observe(accountId, { event, metadata: decodeMetadata(stored.metadata), eventId: stored.eventId, revision: stored.revision, position: stored.commitPosition ?? 0n, created: stored.created });
      const debit = accountId === undefined ? undefined : debitOf(accountId, stored.eventId, event);
      const decided = accountId === undefined ? undefined : decidedCreditOf(accountId, stored.eventId, event);
      if (debit !== undefined) await transfers.creditDestination(debit);
      if (decided !== undefined) await transfers.onCreditDecided(decided);
      acks.add(sub, delivery.ackId);
    } catch (err) {
      if (err instanceof MalformedEvent) {
        logger.error({ err, event_id: stored.eventId, stream: stored.streamId }, 'undecodable event: parked');
        await sub.park([delivery.ackId], err.message).catch(() => {});
        return;
      }
      logger.warn({ err, event_id: stored.eventId, retry_count: delivery.retryCount }, 'transfer step failed; retried');
      await sub.retry([delivery.ackId], err instanceof Error ? err.message : String(err)).catch(() => {});
    }
  };

  const loop = () => followGroup(
    () => (subscription = AccountSubscription.open(esdb.client, settings.group, settings.concurrency * 2)),
    async (sub, delivery) => {
      const p = handle(sub, delivery).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
    },
    {
      stopping: () => stopping,
      onDropped: (err) => logger.warn({ err }, 'transfer subscription dropped; reconnecting'),
      // Steps still running on the dropped connection finish, and their acks go out on it, before it closes.
      settle: async () => {
        await Promise.allSettled([...inFlight]);
        await acks.flush();
      },
    },
  );
  const running = settings.subscribe === false ? Promise.resolve() : loop();

  // The watchdog follows the account events through one filtered catch-up subscription kept open between
  // sweeps (the server leaves out other streams, a lean decoder reads the rest), not readAll pages that
  // bring every record of $all through the client's decoder every sweep (bench/RESULTS.md).
  const watchdogLog = new AccountLogSubscription(esdb.client, () => new AccountLogReader(esdb.client).head());
  const watchdog = new TransferWatchdog(watchdogLog, decoder, transfers, settings.stuckAfterMs);
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    if (sweeping !== undefined) return; // the previous sweep is still running
    sweeping = watchdog.sweep().then(
      (r) => {
        if (r.driven > 0 || r.failures.length > 0) logger.info({ in_flight: r.inFlight, driven: r.driven, failures: r.failures.length }, 'transfer watchdog drove stuck transfers');
        for (const err of r.failures) logger.warn({ err }, 'transfer watchdog could not drive a transfer; next sweep retries');
      },
      (err: unknown) => logger.warn({ err }, 'transfer watchdog sweep failed'),
    ).finally(() => {
      sweeping = undefined;
    });
  };
  const timer = settings.watchdogMs > 0 ? setInterval(sweep, settings.watchdogMs) : undefined;
  timer?.unref();

  logger.info({ group: settings.group, watchdog_ms: settings.watchdogMs, stuck_after_ms: settings.stuckAfterMs }, 'transfer process started');
  return {
    stop: async () => {
      stopping = true;
      if (timer) clearInterval(timer);
      await subscription?.close().catch(() => {});
      await Promise.race([Promise.all([running, sweeping, documents?.stop()]), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await watchdogLog.close();
      await esdb.close();
    },
  };
}

/** Standalone entry: `node --import tsx workers/transfer-process.ts` with ESDB_URL set; scale by running more. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ service: 'transfer-process', level: config.LOG_LEVEL, secrets: configSecrets(config) });
  const url = esdbConnectionString(config);
  // An embedded event store in this process would be empty and private to it; `npm start` runs this part next to it.
  if (url === undefined) throw new Error('the standalone transfer process needs ESDB_URL (npm start runs it with the embedded event store)');
  // Refused event-store credentials would fail every step of every transfer: stop now, naming the cause.
  await checkEventStoreCredentials(url);
  // With MONGO_URL it also keeps the read model's `transfers` collection.
  const mongo = config.MONGO_URL === undefined ? undefined : await connectReadStore(config.MONGO_URL, config);
  const running = await startTransferProcess(config, url, logger, transferProcessSettings(config), mongo?.db(config.MONGO_DB));
  // /healthz and /livez for probes (deploy/k8s/transfer-process.yaml), process metrics for Prometheus.
  const metrics = createMetrics(new Registry(), { processMetrics: true });
  const metricsServer = await startMetricsServer({ registry: metrics.registry, host: config.METRICS_HOST, port: config.METRICS_PORT, ready: () => true });
  stopOnSignal(logger, 'transfer process', [() => running.stop(), () => metricsServer.close(), () => mongo?.close()]);
}

runIfEntry(import.meta.url, main);

/**
 * Acks gathered per subscription and sent together once the current turn of
 * the event loop is over: with many deliveries handled at once, one ack
 * message instead of one per event. Only done steps are added, so a crash
 * before the send only means redelivery of idempotent steps.
 */
class AckBatches {
  private pending = new Map<AccountSubscription, string[]>();
  private scheduled: Promise<void> | undefined;

  constructor(private readonly onError: (err: unknown) => void) {}

  add(sub: AccountSubscription, ackId: string): void {
    const ids = this.pending.get(sub) ?? [];
    ids.push(ackId);
    this.pending.set(sub, ids);
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  async flush(): Promise<void> {
    const batches = this.pending;
    this.pending = new Map();
    this.scheduled = undefined;
    await Promise.all([...batches].map(([sub, ids]) => sub.ack(ids).catch(this.onError)));
  }
}
