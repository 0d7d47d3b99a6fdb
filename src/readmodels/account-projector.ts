import type { Logger } from 'pino';
import { MalformedEvent } from '../domain/event-codec.js';
import { correlationFieldsOf, inBatchSpan } from '../observability/index.js';
import { StoreUnavailable } from '../app/errors.js';
import type { AccountProjectionWriter } from './account-projection-writer.js';
import type { EventOutcome } from './account-fold.js';
import { DeliveryBatcher } from './delivery-batcher.js';
import type { ProjectionDelivery, ProjectionSource } from './projection-source.js';
import { ProjectorProgress } from './projector-progress.js';
import { parkedReason } from './parked-reason.js';
import type { ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { ReadModelUnavailable, isMongoUnavailable } from './read-model-unavailable.js';
import { accountIdOfStream, toRecordedAccountEvent, type RecordedAccountEvent } from './recorded-account-event.js';
import type { AccountEventDecoder } from './event-repairs.js';

export type AccountProjectorOptions = {
  readonly batchSize: number;
  readonly batchMs: number;
  /** Deliveries of one failing event before it is parked. */
  readonly maxRetries: number;
  /** First wait before a failed event is handed back; doubles per retry. */
  readonly retryBackoffMs: number;
  /** Longest wait between attempts while Mongo or the event store is down. */
  readonly unavailableBackoffMaxMs: number;
  readonly logger: Logger;
  /** Decoder with the deployed repairs (event-repairs.ts); plain decoding by default. */
  readonly decode?: AccountEventDecoder;
  /** Called per batch with outcome counts (metrics hook). */
  readonly onBatch?: (size: number, seconds: number, outcomes: ReadonlyMap<EventOutcome | 'parked' | 'retried', number>) => void;
};

type Failed = { readonly delivery: ProjectionDelivery; readonly reason: string };

/**
 * The projector's consume loop: batch deliveries by size and time, decode,
 * write the batch through the AccountProjectionWriter, ack only after the
 * store acknowledged. A failing event is handed back with backoff and parked
 * after maxRetries (its account is held, see AccountHold); an unavailable
 * store is waited for, holding the batch, never acking or parking it.
 */
export class AccountProjector {
  readonly progress = new ProjectorProgress();
  private stopping = false;
  private batcher: DeliveryBatcher<ProjectionDelivery> | undefined;
  private readonly pendingRetries = new Map<NodeJS.Timeout, { ackId: string; reason: string }>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly openSource: () => ProjectionSource,
    private readonly writer: AccountProjectionWriter,
    private readonly store: ReadModelStore,
    private readonly targets: () => Promise<ProjectionTargets>,
    private readonly options: AccountProjectorOptions,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Graceful: finish the batch in hand, settle it, close the subscription. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.batcher?.interrupt();
    await this.running;
  }

  private async run(): Promise<void> {
    let reconnects = 0;
    while (!this.stopping) {
      const source = this.openSource();
      const batcher = new DeliveryBatcher(source.deliveries());
      this.batcher = batcher;
      try {
        for (;;) {
          const batch = await batcher.next(this.options.batchSize, this.options.batchMs);
          if (batch === undefined) break;
          if (batch.length > 0) await this.handle(source, batch);
          reconnects = 0;
          if (this.stopping) break;
        }
      } catch (err) {
        this.options.logger.warn({ err }, 'projector subscription dropped; reconnecting');
      } finally {
        await this.flushRetries(source);
        await source.close().catch((err: unknown) => this.options.logger.debug({ err }, 'closing subscription'));
      }
      if (!this.stopping) await sleep(Math.min(100 * 2 ** reconnects++, this.options.unavailableBackoffMaxMs));
    }
  }

  private async handle(source: ProjectionSource, batch: readonly ProjectionDelivery[]): Promise<void> {
    const started = performance.now();
    const decoded: { delivery: ProjectionDelivery; recorded: RecordedAccountEvent }[] = [];
    const failed: Failed[] = [];
    for (const delivery of batch) {
      try {
        decoded.push({ delivery, recorded: (this.options.decode ?? toRecordedAccountEvent)(delivery.stored) });
      } catch (err) {
        if (!(err instanceof MalformedEvent)) throw err;
        failed.push({ delivery, reason: err.message });
      }
    }
    const counts = new Map<EventOutcome | 'parked' | 'retried', number>();
    // One span per batch, linked to the requests' traces (issue 7); free when tracing is off.
    const outcomes = await inBatchSpan('project batch', decoded.map((d) => d.delivery.stored.metadata), () =>
      this.writeWhileAvailable(decoded.map((d) => d.recorded)));
    if (outcomes === undefined) {
      // Not a store outage: the batch itself failed. Hand every event back
      // (the server counts retries), so a bad event ends up parked.
      for (const { delivery } of decoded) failed.push({ delivery, reason: 'batch failed to project' });
    } else {
      await source.ack(decoded.map((d) => d.delivery.ackId));
      let last: ProjectionDelivery | undefined;
      for (const { delivery, recorded } of decoded) {
        const outcome = outcomes.get(recorded.eventId) ?? 'ignored';
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
        if (last === undefined || (delivery.stored.commitPosition ?? 0n) > (last.stored.commitPosition ?? 0n)) last = delivery;
      }
      this.progress.recordAcked(decoded.length, last?.stored.commitPosition, last?.stored.created);
    }
    for (const f of failed) {
      const settled = await this.settleFailed(source, f);
      counts.set(settled, (counts.get(settled) ?? 0) + 1);
    }
    this.options.onBatch?.(batch.length, (performance.now() - started) / 1000, counts);
  }

  /** Outcomes per event id; undefined when the batch failed for a reason other than an outage. */
  private async writeWhileAvailable(events: readonly RecordedAccountEvent[]): Promise<ReadonlyMap<string, EventOutcome> | undefined> {
    if (events.length === 0) return new Map();
    for (let attempt = 0; ; attempt += 1) {
      try {
        const r = await this.writer.project(await this.targets(), events);
        if (this.progress.storeFailing) this.options.logger.info({ attempts: attempt }, 'read model store back; batch written');
        this.progress.storeFailing = false;
        return r.outcomes;
      } catch (err) {
        if (!isUnavailable(err)) {
          this.options.logger.error({ err }, 'projecting a batch failed');
          return undefined;
        }
        // Waiting even while stopping: giving up would only mean redelivery,
        // but a short outage during shutdown should not cost a batch.
        if (this.stopping && attempt >= 3) throw err;
        this.progress.storeFailing = true;
        const wait = Math.min(100 * 2 ** attempt, this.options.unavailableBackoffMaxMs);
        this.options.logger.warn({ err: String(err), attempt, wait_ms: wait }, 'store unavailable; holding the batch');
        await sleep(wait);
      }
    }
  }

  private async settleFailed(source: ProjectionSource, { delivery, reason }: Failed): Promise<'parked' | 'retried'> {
    const log = { ...correlationFieldsOf(delivery.stored.metadata), event_id: delivery.stored.eventId, stream: delivery.stored.streamId, revision: String(delivery.stored.revision), type: delivery.stored.type, retry_count: delivery.retryCount, reason };
    if (delivery.retryCount >= this.options.maxRetries) {
      const accountId = accountIdOfStream(delivery.stored.streamId);
      // Record the hold before parking: once parked, later events of this
      // account must find it and wait.
      if (accountId !== undefined) await this.store.putHold({ accountId, revision: delivery.stored.revision, eventId: delivery.stored.eventId, reason });
      await source.park([delivery.ackId], parkedReason(delivery.retryCount + 1, reason));
      this.progress.parked += 1;
      this.options.logger.error(log, 'event parked after retries; its account is held');
      return 'parked';
    }
    const wait = this.options.retryBackoffMs * 2 ** delivery.retryCount;
    this.options.logger.warn({ ...log, wait_ms: wait }, 'event failed; retrying after backoff');
    const timer = setTimeout(() => {
      this.pendingRetries.delete(timer);
      source.retry([delivery.ackId], reason).catch((err: unknown) => this.options.logger.warn({ err }, 'nack failed; the message will time out'));
    }, wait);
    this.pendingRetries.set(timer, { ackId: delivery.ackId, reason });
    return 'retried';
  }

  /** On shutdown or reconnect: hand back now what was waiting for its backoff. */
  private async flushRetries(source: ProjectionSource): Promise<void> {
    const waiting = [...this.pendingRetries];
    this.pendingRetries.clear();
    for (const [timer, { ackId, reason }] of waiting) {
      clearTimeout(timer);
      await source.retry([ackId], reason).catch((err: unknown) => this.options.logger.debug({ err }, 'nack on close failed; the message will time out'));
    }
  }
}

function isUnavailable(err: unknown): boolean {
  return err instanceof ReadModelUnavailable || err instanceof StoreUnavailable || isMongoUnavailable(err);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
