import { Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { createMetrics, type ProjectorLagReading } from '../../src/observability/metrics.js';

// Issue 11: /metrics hung over 10 s while the read side's Mongo was down,
// because the lag gauges waited for a measurement that never came.

test('a scrape answers while the lag measurement hangs on a dead dependency, keeping the last values', async () => {
  const metrics = createMetrics(new Registry());
  let measure: () => Promise<ProjectorLagReading> = async () => ({ timeBehindMs: 2_000, eventsBehind: 7n });
  metrics.watchProjectorLag(['account_summaries'], () => measure());
  await metrics.registry.metrics();

  measure = () => new Promise<never>(() => undefined); // Mongo down: no answer, ever
  const scrape = await metrics.registry.metrics();

  expect(scrape).toContain('ledger_projector_lag_seconds{projection="account_summaries"} 2');
  expect(scrape).toContain('ledger_projector_lag_events{projection="account_summaries"} 7');
});
