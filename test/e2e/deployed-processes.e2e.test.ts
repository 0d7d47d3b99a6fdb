import { randomUUID } from 'node:crypto';
import { StreamNotFoundError, START } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';

// Given the three processes as compose and k8s run them (api, projector, jobs,
// each standalone against ESDB_URL, MONGO_URL, REDIS_URL), when a client
// commands, then the api answers read-model queries (read-your-writes with
// min_revision) and its appends enqueue snapshots that the jobs worker takes.

const EVERY = 3;
let backends: TestBackends;
let esdb: EventStoreConnection;
let parts: LedgerProcess[] = [];
let client: LedgerClient;

beforeAll(async () => {
  backends = await startTestBackends(['esdb', 'mongo', 'redis']);
  const { esdb: esdbUrl, mongo: mongoUrl, redis: redisUrl } = backends.urls;
  if (!esdbUrl || !mongoUrl || !redisUrl) throw new Error('backends missing');
  esdb = connectEventStore(esdbUrl);
  // No sweep within the test's time: a snapshot can only come from the api's enqueue.
  const shared = { ESDB_URL: esdbUrl, MONGO_URL: mongoUrl, REDIS_URL: redisUrl, MONGO_DB: `deployed_${process.pid}`, SNAPSHOT_EVERY: String(EVERY), SNAPSHOT_SWEEP_MS: '3600000', PROJECTOR_GROUP: `deployed-${process.pid}` };
  parts = [
    await ledgerProcess('projector', shared),
    await ledgerProcess('jobs', { ...shared, ADMIN_TOKEN: 'deployed-processes-token' }),
    await ledgerProcess('api', shared),
  ];
  for (const p of parts) await p.start();
  client = new LedgerClient(parts[2]!.address);
}, 180_000);

afterAll(async () => {
  client?.grpc.close();
  for (const p of parts.reverse()) await p.stop();
  await esdb?.close();
  await backends?.stop();
});

describe('api, projector and jobs as separate processes', () => {
  test('the standalone api serves the read model and enqueues snapshots', async () => {
    const accountId = randomUUID();
    const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'owner-deployed', currency: 'EUR' });
    expect(opened.ok).toBe(true);
    let revision = 0n;
    for (const amount of [100n, 250n, 50n]) {
      const answer = await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' });
      if (!answer.ok) throw new Error(`deposit refused: ${answer.message}`);
      revision = answer.response.result!.revision;
    }
    expect(revision).toBe(3n);

    const read = await client.call(AccountQueries.method.getAccount, { accountId, minRevision: revision }, { deadlineMs: 20_000 });
    if (!read.ok) throw new Error(`GetAccount failed: ${read.code} ${read.message}`);
    expect(read.response.account?.balance).toBe(400n);
    expect(read.response.account?.revision).toBe(3n);
    expect(read.response.account?.txCount).toBe(3n);

    // Revision 3 crossed the multiple of EVERY: the snapshot job lands in its stream.
    const deadline = Date.now() + 20_000;
    let snapshotRevision: number | undefined;
    while (snapshotRevision === undefined && Date.now() < deadline) {
      try {
        for await (const e of esdb.client.readStream(`snapshot-account-${accountId}`, { fromRevision: START })) {
          const data = e.event?.data as { revision?: unknown } | undefined;
          snapshotRevision = Number(data?.revision);
        }
      } catch (err) {
        if (!(err instanceof StreamNotFoundError)) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(snapshotRevision).toBeGreaterThanOrEqual(EVERY - 1);
  }, 90_000);
});
