import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { createMetrics, outcomeOfStatus, projectorBatchHook, timedJob } from '../../src/observability/index.js';

const valueOf = async (registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

describe('metric hooks for the projector and the jobs', () => {
  test('a projector batch with outcomes counts each outcome and the parked events', async () => {
    const metrics = createMetrics(new Registry());
    const hook = projectorBatchHook(metrics, 'accounts', 'ledger-projector');
    hook(7, 0.02, new Map([['applied', 4], ['duplicate', 1], ['parked', 1], ['retried', 1], ['gap', 0]]));
    const r = metrics.registry;
    expect(await valueOf(r, 'ledger_projector_events_total', { outcome: 'applied' })).toBe(4);
    expect(await valueOf(r, 'ledger_projector_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(await valueOf(r, 'ledger_projector_events_total', { outcome: 'failed' })).toBe(1);
    expect(await valueOf(r, 'ledger_projector_events_total', { outcome: 'gap' })).toBeUndefined();
    expect(await valueOf(r, 'ledger_parked_events_total', { group: 'ledger-projector' })).toBe(1);
  });

  test('a job that throws is counted as a failure and the error passes through', async () => {
    const metrics = createMetrics(new Registry());
    const snapshot = timedJob(metrics, 'snapshot', async (job: { name: string; fail: boolean }) => {
      if (job.fail) throw new Error('stream unreadable');
      return 'done';
    });
    await expect(snapshot({ name: 'snapshot', fail: false })).resolves.toBe('done');
    await expect(snapshot({ name: 'snapshot', fail: true })).rejects.toThrow('stream unreadable');
    const r = metrics.registry;
    expect(await valueOf(r, 'ledger_job_failures_total', { queue: 'snapshot', name: 'snapshot' })).toBe(1);
    const completed = await r.getSingleMetric('ledger_job_duration_seconds')?.get();
    const counts = completed?.values.filter((v) => 'metricName' in v && v.metricName === 'ledger_job_duration_seconds_count');
    expect(counts?.map((v) => [v.labels.status, v.value])).toEqual([['completed', 1], ['failed', 1]]);
  });

  test.each([
    [0, 'ok'], [3, 'invalid'], [9, 'failed_precondition'], [5, 'not_found'], [10, 'aborted'], [14, 'unavailable'], [13, 'internal'],
    [2, 'internal'], [4, 'deadline_exceeded'], [1, 'cancelled'],
  ])(
    'gRPC status %i is outcome %s', (code, outcome) => expect(outcomeOfStatus(code)).toBe(outcome),
  );
});
