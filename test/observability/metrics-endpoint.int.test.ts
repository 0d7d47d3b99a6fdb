import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMetrics, startMetricsServer, type LedgerMetrics, type MetricsServer } from '../../src/observability/index.js';

// Real HTTP on loopback: what Prometheus sees when it scrapes the port.
let server: MetricsServer;
let metrics: LedgerMetrics;
let ready = false;

beforeAll(async () => {
  metrics = createMetrics(new Registry(), { processMetrics: true });
  server = await startMetricsServer({ registry: metrics.registry, port: 0, host: '127.0.0.1', ready: () => ready });
});
afterAll(() => server.close());

const get = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${server.port}${path}`);

/** The value of one sample line, e.g. `ledger_commands_total{type="Deposit",outcome="ok"}`. */
const sample = (body: string, series: string): number | undefined => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics', () => {
  test('serves every named Ledger metric with the values recorded', async () => {
    metrics.commandHandled('Deposit', 'ok', 0.004);
    metrics.commandHandled('Deposit', 'ok', 0.02);
    metrics.commandHandled('Withdraw', 'rejected', 0.003);
    metrics.conflictRetried('Withdraw');
    metrics.projectorBatch('account_summaries', 120, 0.03);
    metrics.projectorEvent('account_summaries', 'applied');
    metrics.projectorEvent('account_summaries', 'duplicate');
    metrics.projectorLag('account_summaries', 1.5);
    metrics.eventParked('ledger-projector');
    metrics.jobFinished('snapshot', 'snapshot', 0.2, false);
    metrics.jobFinished('rebuild', 'rebuild', 3, true);

    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();

    expect(sample(body, 'ledger_commands_total{type="Deposit",outcome="ok"}')).toBe(2);
    expect(sample(body, 'ledger_commands_total{type="Withdraw",outcome="rejected"}')).toBe(1);
    expect(sample(body, 'ledger_command_duration_seconds_count{type="Deposit",outcome="ok"}')).toBe(2);
    expect(sample(body, 'ledger_command_duration_seconds_bucket{le="0.005",type="Deposit",outcome="ok"}')).toBe(1);
    expect(sample(body, 'ledger_command_conflict_retries_total{type="Withdraw"}')).toBe(1);
    expect(sample(body, 'ledger_projector_batch_size_sum{projection="account_summaries"}')).toBe(120);
    expect(sample(body, 'ledger_projector_batch_duration_seconds_count{projection="account_summaries"}')).toBe(1);
    expect(sample(body, 'ledger_projector_events_total{projection="account_summaries",outcome="applied"}')).toBe(1);
    expect(sample(body, 'ledger_projector_events_total{projection="account_summaries",outcome="duplicate"}')).toBe(1);
    expect(sample(body, 'ledger_projector_lag_seconds{projection="account_summaries"}')).toBe(1.5);
    expect(sample(body, 'ledger_parked_events_total{group="ledger-projector"}')).toBe(1);
    expect(sample(body, 'ledger_job_duration_seconds_count{queue="snapshot",name="snapshot",status="completed"}')).toBe(1);
    expect(sample(body, 'ledger_job_failures_total{queue="rebuild",name="rebuild"}')).toBe(1);
    expect(sample(body, 'ledger_job_failures_total{queue="snapshot",name="snapshot"}')).toBe(0);
    expect(body).toMatch(/^ledger_process_cpu_seconds_total /m);
  });

  test('projector lag is measured at scrape time, once per scrape for both gauges', async () => {
    const watched = createMetrics(new Registry());
    let measured = 0;
    let behind = 42n;
    watched.watchProjectorLag(['account_summaries', 'account_transactions'], async () => {
      measured += 1;
      return { eventsBehind: behind, timeBehindMs: 2_500 };
    });
    const first = await watched.registry.metrics();
    expect(sample(first, 'ledger_projector_lag_events{projection="account_transactions"}')).toBe(42);
    expect(sample(first, 'ledger_projector_lag_seconds{projection="account_summaries"}')).toBe(2.5);
    expect(measured).toBe(1);
    behind = 0n;
    expect(sample(await watched.registry.metrics(), 'ledger_projector_lag_events{projection="account_summaries"}')).toBe(0);
    expect(measured).toBe(2);
  });

  test('/healthz follows the readiness callback, /livez does not, other paths are 404', async () => {
    ready = false;
    expect((await get('/healthz')).status).toBe(503);
    expect((await get('/livez')).status).toBe(200);
    ready = true;
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/nothing-here')).status).toBe(404);
  });

  test('two registries do not share series (no process-wide registry)', async () => {
    const other = createMetrics(new Registry());
    expect(await other.registry.getSingleMetricAsString('ledger_commands_total')).not.toContain('Deposit');
  });
});
