import type { Logger } from 'pino';
import type { ProjectorProgress } from './projector-progress.js';
import { ProjectionRegistry, type ProjectionLag, type ProjectionStatus } from './projection-registry.js';
import type { ReadModelStore } from './read-model-store.js';

/** What the lag reporter asks the event store (src/eventstore/persistent-subscription-admin.ts answers). */
export interface EventLogProbe {
  /** Account events after a commit position, counted up to cap. */
  countAfter(position: bigint | undefined, cap: number): Promise<{ count: number; capped: boolean }>;
  /** When the newest record in the log was written. */
  headCreated(): Promise<Date | undefined>;
  /** Parked messages of the group, as the server counts them. */
  parkedCount(): Promise<bigint | undefined>;
}

/** Counting past this many events would cost more than the number is worth: a figure of 10,000 means "at least". */
const COUNT_CAP = 10_000;

/**
 * Every interval: measures this process's lag, writes it to the registry for
 * the projections it feeds (what the Admin API lists) and logs it. With
 * several projector processes the last report wins; each reports its own
 * position, so the figure is that of the most recent reporter.
 */
export class ProjectionLagReporter {
  private timer: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | undefined;

  constructor(
    private readonly projections: readonly string[],
    private readonly registry: Pick<ProjectionRegistry, 'updateStatus'>,
    /** Accounts held back by a parked event (a projection that holds none answers 0). */
    private readonly store: Pick<ReadModelStore, 'countHolds'>,
    private readonly probe: EventLogProbe,
    private readonly progress: ProjectorProgress,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.reporting ??= this.report().finally(() => (this.reporting = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reporting;
    await this.report('stopped').catch((err: unknown) => this.logger.warn({ err }, 'last projection status not written'));
  }

  /** What the last status line said, to log at info only on a change. */
  private lastShape: string | undefined;

  async measure(): Promise<ProjectionLag> {
    const behind = await this.probe.countAfter(this.progress.lastPosition, COUNT_CAP);
    const headCreated = await this.probe.headCreated();
    const parked = await this.probe.parkedCount();
    const blocked = await this.store.countHolds();
    const last = this.progress.lastEventCreated;
    const timeBehindMs = behind.count === 0 || headCreated === undefined ? 0 : Math.max(0, headCreated.getTime() - (last?.getTime() ?? headCreated.getTime()));
    return {
      checkpointPosition: this.progress.lastPosition ?? null,
      eventsBehind: BigInt(behind.count),
      timeBehindMs,
      eventsPerSecond: this.progress.eventsPerSecond(),
      parkedCount: parked ?? BigInt(this.progress.parked),
      blockedAccounts: blocked,
    };
  }

  async report(final?: ProjectionStatus): Promise<void> {
    try {
      const lag = await this.measure();
      const status: ProjectionStatus = final ?? (this.progress.storeFailing ? 'waiting_for_store' : lag.blockedAccounts > 0 ? 'blocked' : 'running');
      for (const name of this.projections) await this.registry.updateStatus(name, status, lag);
      // Info when something an operator cares about changed (status, or being
      // behind at all, parked, blocked); otherwise debug, so an idle projector is quiet.
      const shape = `${status}|${lag.eventsBehind > 0n}|${lag.parkedCount}|${lag.blockedAccounts}`;
      const level = shape === this.lastShape ? 'debug' : 'info';
      this.lastShape = shape;
      this.logger[level](
        {
          status,
          checkpoint_position: lag.checkpointPosition?.toString() ?? null,
          events_behind: Number(lag.eventsBehind),
          time_behind_ms: lag.timeBehindMs,
          events_per_second: Math.round(lag.eventsPerSecond),
          parked: Number(lag.parkedCount),
          blocked_accounts: lag.blockedAccounts,
        },
        'projection lag',
      );
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'projection lag not measured');
    }
  }
}
