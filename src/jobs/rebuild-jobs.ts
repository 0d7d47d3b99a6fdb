import { Queue, type Job } from 'bullmq';
import { v4 as uuidv4 } from 'uuid';
import { parseRebuildProgress, type RebuildProgress } from '../readmodels/rebuild-progress.js';
import { openRedis, type RedisTls } from './redis-connection.js';
import { REBUILD_JOB, REBUILD_QUEUE } from './queue-names.js';
import {
  rebuildCancelKey,
  rebuildDeduplicationId,
  rebuildJobSchema,
  targetCollectionFor,
  type RebuildJobData,
} from './rebuild-job.js';

export type RebuildState = 'queued' | 'running' | 'catching_up' | 'completed' | 'cancelled' | 'failed';

/** A rebuild as operators see it (Admin GetRebuild). */
export type RebuildView = {
  readonly id: string;
  readonly projection: string;
  readonly state: RebuildState;
  readonly targetCollection: string;
  readonly progress: RebuildProgress | undefined;
  readonly finishedAt: string | undefined;
  readonly error: string | undefined;
};

export type StartRebuildResult = { readonly started: boolean; readonly rebuild: RebuildView };

const WEEK_S = 7 * 24 * 3600;

/**
 * The operator side of RebuildJob: enqueue, look up, cancel. One unfinished
 * rebuild per projection is enforced by BullMQ deduplication inside Redis
 * (atomic), so two concurrent starts cannot both enqueue.
 */
export class RebuildJobs {
  private readonly redis;
  private readonly queue: Queue;

  constructor(redisUrl: string, tls?: RedisTls) {
    this.redis = openRedis(redisUrl, tls);
    this.queue = new Queue(REBUILD_QUEUE, { connection: this.redis });
    // Without a listener the Queue console.error()s (not JSON) what its connection reports; failures surface per call.
    this.queue.on('error', () => undefined);
  }

  async start(projection: string): Promise<StartRebuildResult> {
    const rebuildId = uuidv4();
    const data: RebuildJobData = {
      rebuildId,
      projection,
      targetCollection: targetCollectionFor(projection, rebuildId),
      requestedAt: new Date().toISOString(),
    };
    const job = await this.queue.add(REBUILD_JOB, data, {
      jobId: rebuildId,
      deduplication: { id: rebuildDeduplicationId(projection) },
      // A failed attempt resumes from its recorded position on the next one.
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: WEEK_S },
      removeOnFail: { age: WEEK_S },
    });
    const id = job.id ?? rebuildId;
    const view = await this.get(id);
    if (!view) throw new Error(`rebuild ${id} vanished right after enqueue`);
    return { started: id === rebuildId, rebuild: view };
  }

  async get(id: string): Promise<RebuildView | undefined> {
    const job = await this.queue.getJob(id);
    if (!job || job.name !== REBUILD_JOB) return undefined;
    return viewOf(job, await job.getState());
  }

  /**
   * Asks the rebuild to stop before its next batch; it then drops its target.
   * A rebuild that already flipped cannot be cancelled (readers use its collection).
   */
  async cancel(id: string): Promise<RebuildView | undefined> {
    const view = await this.get(id);
    if (!view || view.state === 'completed' || view.state === 'cancelled' || view.state === 'failed') return view;
    if (view.progress?.phase === 'flipped') return view;
    await this.redis.set(rebuildCancelKey(id), '1', 'EX', WEEK_S);
    return view;
  }

  /** The unfinished rebuild of each projection, by projection name. */
  async running(): Promise<Map<string, RebuildView>> {
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'paused']);
    const out = new Map<string, RebuildView>();
    for (const job of jobs) {
      if (job.name !== REBUILD_JOB) continue;
      const view = viewOf(job, await job.getState());
      if (view) out.set(view.projection, view);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

function viewOf(job: Job, jobState: string): RebuildView | undefined {
  const parsed = rebuildJobSchema.safeParse(job.data);
  if (!parsed.success || !job.id) return undefined;
  const progress = parseRebuildProgress(job.progress);
  const result = parseRebuildProgress(job.returnvalue);
  const finished = result ?? progress;
  let state: RebuildState;
  if (jobState === 'completed') state = result?.phase === 'cancelled' ? 'cancelled' : 'completed';
  else if (jobState === 'failed') state = 'failed';
  else if (!progress) state = 'queued';
  else state = progress.phase === 'copying' ? 'running' : 'catching_up';
  return {
    id: job.id,
    projection: parsed.data.projection,
    state,
    targetCollection: parsed.data.targetCollection,
    progress: finished,
    finishedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : undefined,
    error: jobState === 'failed' ? job.failedReason : undefined,
  };
}
