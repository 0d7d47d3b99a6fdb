import { secondsSince, type LedgerMetrics } from './metrics.js';

/**
 * Runs one job attempt, recording its duration and whether it threw; the
 * result or error passes through unchanged (BullMQ decides about retries
 * from the throw).
 */
export async function timeJob<R>(metrics: LedgerMetrics, queue: string, jobName: string, work: () => Promise<R>): Promise<R> {
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    metrics.jobFinished(queue, jobName, secondsSince(started), false);
    return result;
  } catch (err) {
    metrics.jobFinished(queue, jobName, secondsSince(started), true);
    throw err;
  }
}

/** A BullMQ processor wrapped with timeJob, labelled by the job's name. */
export function timedJob<J extends { name: string }, R>(
  metrics: LedgerMetrics,
  queue: string,
  processor: (job: J) => Promise<R>,
): (job: J) => Promise<R> {
  return (job) => timeJob(metrics, queue, job.name, () => processor(job));
}
