import { secondsSince, type LedgerMetrics } from './metrics.js';

/**
 * Wraps a BullMQ processor so each attempt's duration and failure is
 * recorded; the result or error passes through unchanged (BullMQ decides
 * about retries from the throw).
 */
export function timedJob<J extends { name: string }, R>(
  metrics: LedgerMetrics,
  queue: string,
  processor: (job: J) => Promise<R>,
): (job: J) => Promise<R> {
  return async (job) => {
    const started = process.hrtime.bigint();
    try {
      const result = await processor(job);
      metrics.jobFinished(queue, job.name, secondsSince(started), false);
      return result;
    } catch (err) {
      metrics.jobFinished(queue, job.name, secondsSince(started), true);
      throw err;
    }
  };
}
