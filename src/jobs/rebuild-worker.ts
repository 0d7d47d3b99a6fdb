import { Queue, Worker, type Job } from 'bullmq';
import type { RebuildControl, RebuildOutcome } from '../readmodels/rebuild.js';
import { parseRebuildProgress, type RebuildProgress } from '../readmodels/rebuild-progress.js';
import { openRedis, type RedisTls } from './redis-connection.js';
import { DROP_COLLECTION_JOB, REBUILD_JOB, REBUILD_QUEUE } from './queue-names.js';
import {
  dropCollectionJobSchema,
  rebuildCancelKey,
  rebuildJobSchema,
  type RebuildJobData,
} from './rebuild-job.js';

export type RebuildWorkerOptions = {
  readonly redisUrl: string;
  readonly redisTls?: RedisTls;
  /** Runs one rebuild (src/readmodels/rebuild.ts wired to Mongo and the store). */
  readonly run: (data: RebuildJobData, control: RebuildControl) => Promise<RebuildOutcome>;
  readonly dropCollection: (name: string) => Promise<void>;
  readonly graceMs: number;
  /**
   * How long a dead worker's job stays locked before another worker takes it
   * over (BullMQ lockDuration; the stalled check runs at half of it).
   */
  readonly lockMs: number;
  readonly concurrency?: number;
  readonly onError?: (err: Error) => void;
};

/** Consumes the rebuild queue: RebuildJob and the delayed drop of replaced collections. */
export class RebuildWorker {
  private readonly redis;
  private readonly cancelRedis;
  private readonly queue: Queue;
  private readonly worker: Worker;
  /** BullMQ does not close a connection it was given: this one is ours to end. */
  private readonly workerRedis;

  constructor(private readonly opts: RebuildWorkerOptions) {
    this.redis = openRedis(opts.redisUrl, opts.redisTls);
    this.cancelRedis = openRedis(opts.redisUrl, opts.redisTls);
    this.queue = new Queue(REBUILD_QUEUE, { connection: this.redis });
    // A Queue without an 'error' listener console.error()s (not JSON) what its connection reports.
    this.queue.on('error', (err) => opts.onError?.(err));
    this.workerRedis = openRedis(opts.redisUrl, opts.redisTls);
    this.worker = new Worker(REBUILD_QUEUE, (job) => this.process(job), {
      connection: this.workerRedis,
      // Different projections may rebuild side by side, and drops must not wait behind a rebuild.
      concurrency: opts.concurrency ?? 4,
      lockDuration: opts.lockMs,
      stalledInterval: Math.max(1000, Math.floor(opts.lockMs / 2)),
      // A crash is not the job's fault: let a restarted worker resume it several times.
      maxStalledCount: 20,
    });
    this.worker.on('error', (err) => opts.onError?.(err));
  }

  private async process(job: Job): Promise<RebuildProgress | { dropped: string }> {
    if (job.name === DROP_COLLECTION_JOB) {
      const { collection } = dropCollectionJobSchema.parse(job.data);
      await this.opts.dropCollection(collection);
      return { dropped: collection };
    }
    if (job.name !== REBUILD_JOB) throw new Error(`unknown job ${job.name}`);
    const data = rebuildJobSchema.parse(job.data);
    const outcome = await this.opts.run(data, this.controlFor(job, data));
    await this.cancelRedis.del(rebuildCancelKey(data.rebuildId));
    return outcome.progress;
  }

  private controlFor(job: Job, data: RebuildJobData): RebuildControl {
    return {
      recorded: () => parseRebuildProgress(job.progress),
      record: (progress) => job.updateProgress(progress),
      cancelRequested: async () => (await this.cancelRedis.exists(rebuildCancelKey(data.rebuildId))) === 1,
      scheduleDrop: async (collection) => {
        await this.queue.add(DROP_COLLECTION_JOB, { collection }, {
          jobId: `drop-${collection}`,
          delay: this.opts.graceMs,
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: { age: 24 * 3600 },
        });
      },
    };
  }

  async close(): Promise<void> {
    await this.worker.close();
    this.workerRedis.disconnect();
    await this.queue.close();
    this.redis.disconnect();
    this.cancelRedis.disconnect();
  }
}
