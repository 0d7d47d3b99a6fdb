import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { SnapshotRequests } from '../app/account-snapshot.js';
import { SNAPSHOT_JOB, SNAPSHOT_QUEUE } from './queue-names.js';
import { redisTls, type RedisTls } from './redis-connection.js';
import { snapshotJobId, type SnapshotJobData } from './snapshot-job.js';

export type SnapshotJobsOptions = {
  readonly redisUrl: string;
  readonly redisTls?: RedisTls;
  /** SNAPSHOT_EVERY: the bucket size of job ids. */
  readonly every: number;
  readonly onError?: (err: unknown) => void;
};

/** Completed jobs are kept a day so a repeat within the bucket still collapses onto them. */
const KEEP_DONE_S = 24 * 3600;

/**
 * The command side's end of SnapshotJob. A command never waits on Redis or
 * fails because of it: the client does not queue commands while Redis is
 * away, and a failed enqueue is only reported (the sweep catches up later).
 */
export class SnapshotJobs implements SnapshotRequests {
  private readonly redis: Redis;
  private readonly queue: Queue;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly opts: SnapshotJobsOptions) {
    this.redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, ...redisTls(opts.redisTls) });
    this.redis.on('error', () => undefined); // reconnects on its own; failures surface per enqueue
    this.queue = new Queue(SNAPSHOT_QUEUE, { connection: this.redis });
    // Without a listener the Queue console.error()s (not JSON) what its connection reports; failures surface per enqueue.
    this.queue.on('error', () => undefined);
  }

  request(accountId: string, revision: bigint): void {
    const p = this.enqueue({ accountId, revision: Number(revision) })
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async enqueue(data: SnapshotJobData): Promise<void> {
    await this.queue.add(SNAPSHOT_JOB, data, {
      jobId: snapshotJobId(data.accountId, data.revision, this.opts.every),
      attempts: 3,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: KEEP_DONE_S },
      removeOnFail: { age: KEEP_DONE_S },
    });
  }

  /** Settles the enqueues in flight (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.drain();
    await this.queue.close();
    this.redis.disconnect();
  }
}
