import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKWARDS, END, StreamNotFoundError } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, startRedis, type EmbeddedRedis } from '../../src/embedded/index.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { foldAccounts, readAccountEvents } from './account-events.js';
import { ledgerProcess, type LedgerProcess } from './ledger-process.js';
import { RetryingCommands, type LoadTally } from './retrying-commands.js';

// Given the api and the jobs worker with snapshots every N events, when
// Redis (AOF on, same data dir) is SIGKILLed and restarted under a load of
// deposits, then no snapshot is lost: every account ends with a snapshot at
// or past its last multiple of N, and the jobs worker reconnects by itself.

const COMMANDS = Number(process.env.LEDGER_CRASH_COMMANDS ?? 400);
const KILLS = Number(process.env.LEDGER_CRASH_KILLS ?? 2);
const EVERY = 10;
const ACCOUNTS = 8;
// A Redis given by REDIS_URL is not ours to kill.
const ownRedis = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '';

let backends: TestBackends;
let redisDir: string;
let redisPort: number;
let redis: EmbeddedRedis | undefined;
let esdb: EventStoreConnection;
let api: LedgerProcess;
let jobs: LedgerProcess;
let commands: RetryingCommands;

beforeAll(async () => {
  if (!ownRedis) return;
  backends = await startTestBackends(['esdb', 'mongo']);
  const { esdb: esdbUrl, mongo: mongoUrl } = backends.urls;
  if (esdbUrl === undefined || mongoUrl === undefined) throw new Error('backends missing');
  redisDir = mkdtempSync(join(tmpdir(), 'ledger-redis-crash-'));
  redisPort = await freePort();
  redis = await startRedis({ dataDir: redisDir, port: redisPort });
  esdb = connectEventStore(esdbUrl);
  const shared = { ESDB_URL: esdbUrl, MONGO_URL: mongoUrl, REDIS_URL: redis.url, MONGO_DB: `redis_crash_${process.pid}`, SNAPSHOT_EVERY: String(EVERY) };
  api = await ledgerProcess('api', shared);
  jobs = await ledgerProcess('jobs', { ...shared, SNAPSHOT_SWEEP_MS: '500', ADMIN_TOKEN: 'redis-crash-token-0123' });
  await Promise.all([api.start(), jobs.start()]);
  commands = new RetryingCommands(api.address);
});
afterAll(async () => {
  commands?.close();
  await Promise.all([api?.stop(), jobs?.stop()]);
  await esdb?.close();
  await redis?.stop();
  await backends?.stop();
  if (redisDir !== undefined) rmSync(redisDir, { recursive: true, force: true });
});

/** Revision of the newest snapshot of an account, or -1. */
async function latestSnapshot(accountId: string): Promise<bigint> {
  let revision = -1n;
  try {
    // Read to the end of the (one-event) result rather than returning from
    // inside the loop: a read cancelled early keeps the client's close() waiting.
    for await (const { event } of esdb.client.readStream(`snapshot-account-${accountId}`, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
      const data = event?.data;
      if (typeof data === 'object' && data !== null && 'revision' in data) revision = BigInt(String(data.revision));
    }
  } catch (e) {
    if (!(e instanceof StreamNotFoundError)) throw e;
  }
  return revision;
}

describe('Redis killed and restarted under load', () => {
  test.skipIf(!ownRedis)(`${COMMANDS} deposits, ${KILLS} SIGKILLs of Redis: every account gets its snapshots`, async () => {
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    for (const accountId of accounts) await commands.openAccount(randomUUID(), accountId);
    const deposits = Array.from({ length: COMMANDS }, (_, i) => ({
      commandId: randomUUID(), accountId: accounts[i % ACCOUNTS] ?? '', amount: BigInt(1 + (i % 50)),
    }));
    const tally: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };
    let kills = 0;
    const killer = async (): Promise<void> => {
      for (let k = 1; k <= KILLS; k++) {
        while (tally.acknowledged.size < (COMMANDS * k) / (KILLS + 1)) await sleep(20);
        await redis?.stop('SIGKILL');
        kills += 1;
        await sleep(1_000);
        redis = await startRedis({ dataDir: redisDir, port: redisPort });
      }
    };
    await Promise.all([killer(), commands.depositAll(deposits, 8, tally)]);

    const folded = foldAccounts(await readAccountEvents(esdb.client));
    // The last multiple of EVERY each stream reached: a snapshot at or past it must appear.
    // (0 when a stream never reached EVERY events: nothing is due then.)
    const due = new Map(accounts.map((a) => [a, ((folded.get(a)?.revision ?? 0n) / BigInt(EVERY)) * BigInt(EVERY)]));
    let latest = new Map<string, bigint>();
    const missing = (): string[] => accounts.filter((a) => (due.get(a) ?? 0n) > 0n && (latest.get(a) ?? -1n) < (due.get(a) ?? 0n));
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
      latest = new Map(await Promise.all(accounts.map(async (a) => [a, await latestSnapshot(a)] as const)));
      if (missing().length === 0) break;
    }
    const metrics = await (await fetch(`http://127.0.0.1:${jobs.metricsPort}/metrics`)).text();
    const completed = metrics.split('\n').find((l) => l.startsWith('ledger_job_duration_seconds_count{queue="snapshot",name="snapshot",status="completed"}'));

    console.log([
      `redis crash: ${COMMANDS} deposits over ${ACCOUNTS} accounts, snapshots every ${EVERY}; faults injected: ${kills} SIGKILL + restart of Redis`,
      `  requests tried ${tally.attempts}, acknowledged ${tally.acknowledged.size}; jobs worker alive ${jobs.running()}; ${completed ?? 'no snapshot job metric'}`,
      `  snapshots checked: ${accounts.map((a) => `${latest.get(a)}/${due.get(a)}`).join(' ')} (latest/due); missing ${missing().length}`,
    ].join('\n'));

    expect(kills).toBe(KILLS);
    expect(tally.acknowledged.size).toBe(COMMANDS);
    expect(jobs.running()).toBe(true);
    expect([...due.values()].some((d) => d > 0n)).toBe(true);
    expect(missing()).toEqual([]);
  }, 240_000);
});
