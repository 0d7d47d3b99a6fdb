import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

// The jobs and projector processes as deployed: after commands cross the
// snapshot threshold, their METRICS_PORT shows the snapshot jobs and the
// projector's batches, and /healthz answers.
let backends: TestBackends;
let api: LedgerProcess;
let jobs: LedgerProcess;
let projector: LedgerProcess;
let client: LedgerClient;

beforeAll(async () => {
  backends = await startTestBackends(['esdb', 'mongo', 'redis']);
  const { esdb, mongo, redis } = backends.urls;
  if (esdb === undefined || mongo === undefined || redis === undefined) throw new Error('backends missing');
  const shared = { ESDB_URL: esdb, MONGO_URL: mongo, REDIS_URL: redis, MONGO_DB: `metrics_${process.pid}`, SNAPSHOT_EVERY: '2' };
  api = await ledgerProcess('api', shared);
  jobs = await ledgerProcess('jobs', { ...shared, SNAPSHOT_SWEEP_MS: '300', ADMIN_TOKEN: 'metrics-test-token-0123' });
  projector = await ledgerProcess('projector', { ...shared, PROJECTOR_GROUP: `metrics-${process.pid}` });
  await Promise.all([api.start(), jobs.start(), projector.start()]);
  client = new LedgerClient(api.address);
});
afterAll(async () => {
  client?.close();
  await Promise.all([api?.stop(), jobs?.stop(), projector?.stop()]);
  await backends?.stop();
});

const scrape = async (p: LedgerProcess): Promise<string> => (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
const sample = (body: string, series: string): number => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};
/** Scrapes until `series` reaches `atLeast` or the bounded wait ends; returns the last value. */
const waitFor = async (p: LedgerProcess, series: string, atLeast: number): Promise<number> => {
  let value = 0;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
    value = sample(await scrape(p), series);
    if (value >= atLeast) break;
  }
  return value;
};

describe('the jobs and projector processes export their metrics', () => {
  test('given an account with 6 events and snapshots every 2, then snapshot jobs and projector batches are counted', async () => {
    const accountId = randomUUID();
    const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'm', currency: 'EUR' });
    expect(opened.ok).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect((await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 10n, currency: 'EUR' })).ok).toBe(true);
    }
    const snapshots = await waitFor(jobs, 'ledger_job_duration_seconds_count{queue="snapshot",name="snapshot",status="completed"}', 1);
    const applied = await waitFor(projector, 'ledger_projector_events_total{projection="accounts",outcome="applied"}', 6);
    const jobBody = await scrape(jobs);
    console.log(`jobs metrics: snapshot jobs completed ${snapshots}; projector events applied ${applied}`);
    expect(snapshots).toBeGreaterThanOrEqual(1);
    expect(sample(jobBody, 'ledger_job_failures_total{queue="snapshot",name="snapshot"}')).toBe(0);
    expect(applied).toBe(6);
    expect(sample(await scrape(projector), 'ledger_projector_batch_size_count{projection="accounts"}')).toBeGreaterThanOrEqual(1);
    for (const p of [jobs, projector]) expect((await fetch(`http://127.0.0.1:${p.metricsPort}/healthz`)).status).toBe(200);
  });
});
