import { Queue, Worker, type Job } from 'bullmq';
import { openRedis, type RedisTls } from './redis-connection.js';
import { SNAPSHOT_JOB, SNAPSHOT_QUEUE, SNAPSHOT_SWEEP_JOB } from './queue-names.js';
import { snapshotJobSchema } from './snapshot-job.js';
import { SnapshotJobs } from './snapshot-jobs.js';
import { decodePosition, encodePosition, sweepForSnapshots, type SweepSource } from './snapshot-sweep.js';

export type SnapshotWorkerOptions = {
  readonly redisUrl: string;
  readonly redisTls?: RedisTls;
  readonly every: number;
  /** Period of the repeatable sweep; 0 turns it off. */
  readonly sweepEveryMs: number;
  /** SnapshotJob's use case (src/app/take-snapshot.ts, wired to the store). */
  readonly takeSnapshot: (accountId: string) => Promise<string>;
  readonly log: SweepSource;
  readonly concurrency?: number;
  readonly onError?: (err: Error) => void;
};

const SWEEP_POSITION_KEY = 'ledger:snapshot-sweep:position';
const SWEEP_SCHEDULER_ID = 'snapshot-sweep';

/** Consumes the snapshot queue: SnapshotJob and the repeatable sweep. */
export class SnapshotWorker {
  private readonly redis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  /** BullMQ does not close a connection it was given: this one is ours to end. */
  private readonly workerRedis;
  private readonly jobs: SnapshotJobs;

  private constructor(private readonly opts: SnapshotWorkerOptions) {
    this.redis = openRedis(opts.redisUrl, opts.redisTls);
    this.queue = new Queue(SNAPSHOT_QUEUE, { connection: this.redis });
    // A Queue without an 'error' listener console.error()s (not JSON) what its connection reports.
    this.queue.on('error', (err) => opts.onError?.(err));
    this.jobs = new SnapshotJobs({ redisUrl: opts.redisUrl, ...(opts.redisTls ? { redisTls: opts.redisTls } : {}), every: opts.every });
    this.workerRedis = openRedis(opts.redisUrl, opts.redisTls);
    this.worker = new Worker(SNAPSHOT_QUEUE, (job) => this.process(job), {
      connection: this.workerRedis,
      concurrency: opts.concurrency ?? 4,
    });
    this.worker.on('error', (err) => opts.onError?.(err));
  }

  static async start(opts: SnapshotWorkerOptions): Promise<SnapshotWorker> {
    const w = new SnapshotWorker(opts);
    if (opts.sweepEveryMs > 0) {
      await w.queue.upsertJobScheduler(SWEEP_SCHEDULER_ID, { every: opts.sweepEveryMs }, {
        name: SNAPSHOT_SWEEP_JOB,
        opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 10 } },
      });
    } else {
      await w.queue.removeJobScheduler(SWEEP_SCHEDULER_ID);
    }
    return w;
  }

  private async process(job: Job): Promise<unknown> {
    if (job.name === SNAPSHOT_JOB) {
      const { accountId } = snapshotJobSchema.parse(job.data);
      return this.opts.takeSnapshot(accountId);
    }
    if (job.name === SNAPSHOT_SWEEP_JOB) return this.sweep();
    throw new Error(`unknown job ${job.name}`);
  }

  private async sweep(): Promise<{ enqueued: number }> {
    const after = decodePosition(await this.redis.get(SWEEP_POSITION_KEY));
    const { due, last } = await sweepForSnapshots(this.opts.log, after, { every: this.opts.every, pageSize: 1000, maxPages: 50 });
    for (const [accountId, revision] of due) await this.jobs.enqueue({ accountId, revision });
    if (last) await this.redis.set(SWEEP_POSITION_KEY, encodePosition(last));
    return { enqueued: due.size };
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.workerRedis.disconnect();
    await this.jobs.close();
    await this.queue.close();
    this.redis.disconnect();
  }
}
