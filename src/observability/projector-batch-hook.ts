import type { LedgerMetrics, ProjectionOutcome } from './metrics.js';

const FOLD_OUTCOMES: readonly ProjectionOutcome[] = ['applied', 'duplicate', 'gap', 'ignored'];
const isFoldOutcome = (o: string): o is ProjectionOutcome => (FOLD_OUTCOMES as readonly string[]).includes(o);

/**
 * The projector's per-batch hook (AccountProjectorOptions.onBatch) feeding
 * batch size and time, per-event outcomes and parked events.
 */
export function projectorBatchHook(
  metrics: LedgerMetrics,
  projection: string,
  group: string,
): (size: number, seconds: number, outcomes: ReadonlyMap<string, number>) => void {
  return (size, seconds, outcomes) => {
    metrics.projectorBatch(projection, size, seconds);
    for (const [outcome, count] of outcomes) {
      if (count === 0) continue;
      if (outcome === 'parked') metrics.eventParked(group, count);
      // 'retried' (handed back after a failure) and anything new count as failed deliveries.
      else metrics.projectorEvent(projection, isFoldOutcome(outcome) ? outcome : 'failed', count);
    }
  };
}
