import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { connectEventStore } from '../../src/eventstore/connection.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';
import { npmStart, type NpmStart } from '../reliability/npm-start.js';
import { ADMIN_TOKEN, MAX_RETRIES, expectVictimHeld, expectVictimRepaired, writePoisonedAccounts, writeRepairs } from './poisoned-account.js';

// Issue 14 through the processes as deployed: started with EVENT_REPAIRS_FILE
// (empty), a poisoned account is held by every reader while the others are
// served; with the correction in the file and the processes restarted (the
// event store untouched), they all agree: commands, as-of, snapshots, the
// projector, the transfer process and a rebuild. One scenario per way of running
// Ledger: the standalone workers, and npm start.
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const settings = (repairsFile: string) => ({
  ADMIN_TOKEN,
  EVENT_REPAIRS_FILE: repairsFile,
  PROJECTOR_MAX_RETRIES: String(MAX_RETRIES),
  PROJECTOR_RETRY_BACKOFF_MS: '50',
  PROJECTOR_STATUS_INTERVAL_MS: '200',
  REBUILD_SETTLE_MS: '200',
  // The victim's deposit at revision 4 is its 5th event: it enqueues a snapshot.
  SNAPSHOT_EVERY: '5',
  SNAPSHOT_SWEEP_MS: '0',
});

describe('the standalone workers (api, projector, jobs, transfer-process)', () => {
  let backends: TestBackends | undefined;
  let parts: LedgerProcess[] = [];
  afterAll(async () => {
    for (const p of [...parts].reverse()) await p.stop();
    await backends?.stop();
  });

  test('hold a poisoned account until EVENT_REPAIRS_FILE corrects it, then agree after a restart', async () => {
    backends = await startTestBackends(['esdb', 'mongo', 'redis']);
    const { esdb: esdbUrl, mongo: mongoUrl, redis: redisUrl } = backends.urls;
    if (!esdbUrl || !mongoUrl || !redisUrl) throw new Error('backends missing');
    const writer = connectEventStore(esdbUrl);
    const accounts = await writePoisonedAccounts(writer.client).finally(() => writer.close());
    const repairs = join(tempDir('ledger-repairs-'), 'repairs.json');
    writeRepairs(repairs);
    const env = {
      ...settings(repairs), ESDB_URL: esdbUrl, MONGO_URL: mongoUrl, REDIS_URL: redisUrl,
      MONGO_DB: `poisoned_${process.pid}`, PROJECTOR_GROUP: `poisoned-${process.pid}`, TRANSFER_GROUP: `poisoned-transfers-${process.pid}`,
    };
    parts = await Promise.all((['projector', 'jobs', 'transfer-process', 'api'] as const).map((name) => ledgerProcess(name, env)));
    const [, jobs, , api] = parts;
    if (jobs === undefined || api === undefined) throw new Error('processes missing');
    for (const p of parts) await p.start();
    await expectVictimHeld(api.address, jobs.adminAddress, accounts, `poisoned-${process.pid}`);

    writeRepairs(repairs, accounts.badEventId);
    for (const p of parts) await p.stop();
    for (const p of parts) await p.start();
    await expectVictimRepaired(api.address, jobs.adminAddress, esdbUrl, accounts);
  }, 240_000);
});

describe('npm start', () => {
  let backends: TestBackends | undefined;
  let ledger: NpmStart | undefined;
  const stop = async () => {
    if (ledger !== undefined && ledger.npm.exitCode === null) {
      process.kill(-(ledger.npm.pid ?? 0), 'SIGINT');
      await ledger.exited;
    }
  };
  afterAll(async () => {
    await stop();
    await backends?.stop();
  });

  test('holds a poisoned account until EVENT_REPAIRS_FILE corrects it, then agrees after a restart (its read model refilled with the repair)', async () => {
    // The event store is one the test runs (ESDB_URL), so the poison is written before Ledger starts; Mongo and Redis are npm start's own.
    backends = await startTestBackends(['esdb']);
    const esdbUrl = backends.urls.esdb;
    if (!esdbUrl) throw new Error('no event store');
    const writer = connectEventStore(esdbUrl);
    const accounts = await writePoisonedAccounts(writer.client).finally(() => writer.close());
    const repairs = join(tempDir('ledger-repairs-'), 'repairs.json');
    writeRepairs(repairs);
    const dataDir = tempDir('ledger-poisoned-');
    const env = { ...settings(repairs), ESDB_URL: esdbUrl };
    ledger = await npmStart(dataDir, 120_000, env);
    await expectVictimHeld(ledger.address, ledger.adminAddress, accounts);

    writeRepairs(repairs, accounts.badEventId);
    await stop();
    ledger = await npmStart(dataDir, 120_000, env);
    await expectVictimRepaired(ledger.address, ledger.adminAddress, esdbUrl, accounts);
  }, 240_000);
});
