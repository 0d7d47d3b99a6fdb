import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How a command or query ended, one label value each (issue 12): `ok`;
 * `duplicate` (a retry answered from the stream, nothing appended);
 * `invalid` (INVALID_ARGUMENT); a refusal as its ErrorInfo reason in lower
 * case (`insufficient_funds`, `account_not_found`, `revision_conflict`,
 * `idempotency_key_reused`, `read_model_behind`, `deadline_exceeded`, …);
 * `unavailable` (event store or read model unreachable); `internal` (a bug).
 * src/grpc/error-status.ts derives it from the error.
 */
export type CallOutcome = string;

/** What the projector did with one event (STYLE.md §11), plus parked. */
/** How far a projector is behind the head of the log. */
export interface ProjectorLagReading {
  readonly eventsBehind: bigint | number;
  readonly timeBehindMs: number;
}

export type ProjectionOutcome = 'applied' | 'duplicate' | 'gap' | 'ignored' | 'failed';

/**
 * Everything Ledger measures, as calls in the domain's words. Entry points
 * build one with createMetrics(registry) and pass it down; code that is not
 * given one takes nothing (no module-level registry, STYLE.md §9).
 */
export interface LedgerMetrics {
  readonly registry: Registry;
  /** A command (AccountCommands) finished; `seconds` from request received to answer sent. */
  commandHandled(commandType: string, outcome: CallOutcome, seconds: number): void;
  /** A query (AccountQueries) finished; its own series, so reads never inflate command counts. */
  queryHandled(queryType: string, outcome: CallOutcome, seconds: number): void;
  /** The handler re-read and re-decided after a revision conflict. */
  conflictRetried(commandType: string): void;
  /** A batch of `size` events was written to Mongo in `seconds`. */
  projectorBatch(projection: string, size: number, seconds: number): void;
  projectorEvent(projection: string, outcome: ProjectionOutcome, count?: number): void;
  /** Age of the newest applied event (now − its occurred_at / created time). */
  projectorLag(projection: string, seconds: number): void;
  /**
   * Measure the lag at each scrape with `measure` (the projector's lag
   * reporter), so the gauges stay true while the projector is idle or stuck.
   */
  watchProjectorLag(projections: readonly string[], measure: () => Promise<ProjectorLagReading>): void;
  /** An event was given up on and parked by the subscription. */
  eventParked(group: string, count?: number): void;
  /** A BullMQ job ended; `failed` when it threw (a retry will count again). */
  jobFinished(queue: string, jobName: string, seconds: number, failed: boolean): void;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const JOB_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600];
const BATCH_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

/** How long a scrape waits for the projector's lag reading. */
const LAG_READ_BOUND_MS = 1_000;
const unanswered = (ms: number): Promise<undefined> => new Promise((resolve) => setTimeout(resolve, ms, undefined).unref());

/** Registers Ledger's metrics on `registry` (and, if asked, Node's process metrics). */
export function createMetrics(registry: Registry, opts: { processMetrics?: boolean } = {}): LedgerMetrics {
  if (opts.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'ledger_' });
  const registers = [registry];
  const commands = new Counter({
    name: 'ledger_commands_total', help: 'Commands handled, by type and outcome',
    labelNames: ['type', 'outcome'] as const, registers,
  });
  const commandSeconds = new Histogram({
    name: 'ledger_command_duration_seconds', help: 'Command latency from request to answer',
    labelNames: ['type', 'outcome'] as const, buckets: LATENCY_BUCKETS, registers,
  });
  const queries = new Counter({
    name: 'ledger_queries_total', help: 'Queries answered, by type and outcome',
    labelNames: ['type', 'outcome'] as const, registers,
  });
  const querySeconds = new Histogram({
    name: 'ledger_query_duration_seconds', help: 'Query latency from request to answer',
    labelNames: ['type', 'outcome'] as const, buckets: LATENCY_BUCKETS, registers,
  });
  const conflictRetries = new Counter({
    name: 'ledger_command_conflict_retries_total', help: 'Re-decides after an optimistic concurrency conflict',
    labelNames: ['type'] as const, registers,
  });
  const batchSize = new Histogram({
    name: 'ledger_projector_batch_size', help: 'Events per projector bulk write',
    labelNames: ['projection'] as const, buckets: BATCH_BUCKETS, registers,
  });
  const batchSeconds = new Histogram({
    name: 'ledger_projector_batch_duration_seconds', help: 'Time to write one projector batch',
    labelNames: ['projection'] as const, buckets: LATENCY_BUCKETS, registers,
  });
  const projected = new Counter({
    name: 'ledger_projector_events_total', help: 'Events seen by the projector, by outcome',
    labelNames: ['projection', 'outcome'] as const, registers,
  });
  let lagWatch: { projections: readonly string[]; measure: () => Promise<ProjectorLagReading> } | undefined;
  let lagReading: Promise<ProjectorLagReading | undefined> | undefined;
  // One measurement per scrape feeds both gauges; a failed one leaves the
  // last values in place rather than failing the whole scrape.
  // A scrape never waits on a dead dependency (issue 11: /metrics hung over
  // 10 s while Mongo was down): past LAG_READ_BOUND_MS the gauges keep their
  // last values, and the measurement in flight is shared by later scrapes.
  const readLag = (): Promise<ProjectorLagReading | undefined> => {
    if (lagWatch === undefined) return Promise.resolve(undefined);
    lagReading ??= lagWatch.measure().catch(() => undefined).finally(() => { lagReading = undefined; });
    return Promise.race([lagReading, unanswered(LAG_READ_BOUND_MS)]);
  };
  const lag = new Gauge({
    name: 'ledger_projector_lag_seconds', help: 'How far behind the head of the log the projector is, in time',
    labelNames: ['projection'] as const, registers,
    async collect() {
      const reading = await readLag();
      if (reading !== undefined) for (const projection of lagWatch?.projections ?? []) this.set({ projection }, reading.timeBehindMs / 1000);
    },
  });
  const lagEvents = new Gauge({
    name: 'ledger_projector_lag_events', help: 'Account events in the log after the projector\'s checkpoint',
    labelNames: ['projection'] as const, registers,
    async collect() {
      const reading = await readLag();
      if (reading !== undefined) for (const projection of lagWatch?.projections ?? []) this.set({ projection }, Number(reading.eventsBehind));
    },
  });
  const parked = new Counter({
    name: 'ledger_parked_events_total', help: 'Events parked after exhausting retries',
    labelNames: ['group'] as const, registers,
  });
  const jobSeconds = new Histogram({
    name: 'ledger_job_duration_seconds', help: 'BullMQ job run time',
    labelNames: ['queue', 'name', 'status'] as const, buckets: JOB_BUCKETS, registers,
  });
  const jobFailures = new Counter({
    name: 'ledger_job_failures_total', help: 'BullMQ job attempts that threw',
    labelNames: ['queue', 'name'] as const, registers,
  });
  // Zero-valued series exist from the start, so dashboards and alerts see
  // "0 failures" rather than "no data" before the first one happens.
  jobFailures.inc({ queue: 'snapshot', name: 'snapshot' }, 0);
  jobFailures.inc({ queue: 'rebuild', name: 'rebuild' }, 0);

  return {
    registry,
    commandHandled(type, outcome, seconds) {
      commands.inc({ type, outcome });
      commandSeconds.observe({ type, outcome }, seconds);
    },
    queryHandled(type, outcome, seconds) {
      queries.inc({ type, outcome });
      querySeconds.observe({ type, outcome }, seconds);
    },
    conflictRetried: (type) => conflictRetries.inc({ type }),
    projectorBatch(projection, size, seconds) {
      batchSize.observe({ projection }, size);
      batchSeconds.observe({ projection }, seconds);
    },
    projectorEvent: (projection, outcome, count = 1) => projected.inc({ projection, outcome }, count),
    projectorLag: (projection, seconds) => lag.set({ projection }, Math.max(0, seconds)),
    watchProjectorLag(projections, measure) {
      lagWatch = { projections, measure };
      for (const projection of projections) lagEvents.set({ projection }, 0);
    },
    eventParked: (group, count = 1) => parked.inc({ group }, count),
    jobFinished(queue, name, seconds, failed) {
      jobSeconds.observe({ queue, name, status: failed ? 'failed' : 'completed' }, seconds);
      if (failed) jobFailures.inc({ queue, name });
    },
  };
}

/** Seconds elapsed since `startNs` (from process.hrtime.bigint()), for the calls above. */
export const secondsSince = (startNs: bigint): number => Number(process.hrtime.bigint() - startNs) / 1e9;
