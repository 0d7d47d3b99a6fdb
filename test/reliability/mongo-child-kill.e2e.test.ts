import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectEventStore } from '../../src/eventstore/connection.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { foldAccounts, readAccountEvents } from './account-events.js';
import { childServers, logged, npmStart, running, type NpmStart } from './npm-start.js';
import { asReadSide, readSideOf } from './read-side.js';
import { RetryingCommands, type Deposit, type LoadTally } from './retrying-commands.js';

// Issue 11: the embedded Mongo-wire server SIGKILLed under load is restarted
// without help; meanwhile queries answer UNAVAILABLE naming mongo (never
// INTERNAL), and afterwards the read side catches up and equals the fold.

let dataDir: string;
let ledger: NpmStart | undefined;
beforeAll(() => { dataDir = mkdtempSync(join(tmpdir(), 'ledger-mongo-kill-')); });
afterAll(async () => {
  if (ledger !== undefined && ledger.npm.exitCode === null) {
    process.kill(-(ledger.npm.pid ?? 0), 'SIGINT');
    await ledger.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('the Mongo-wire child SIGKILLed under load comes back by itself and the read side equals the fold of the store', async () => {
  ledger = await npmStart(dataDir);
  const lines = ledger.lines;
  const esdbUrl = String(logged(lines, 'embedded event store started')?.['url']);
  const mongoUrl = String(logged(lines, 'embedded Mongo-wire server started for the read model')?.['url']);
  const accounts = Array.from({ length: 200 }, () => randomUUID());
  const commands = new RetryingCommands(ledger.address);
  for (let i = 0; i < accounts.length; i += 20) await Promise.all(accounts.slice(i, i + 20).map((id) => commands.openAccount(randomUUID(), id)));
  const deposits: Deposit[] = Array.from({ length: 4_000 }, (_, i) => ({ commandId: randomUUID(), accountId: accounts[i % accounts.length] ?? '', amount: BigInt(1 + (i % 7)) }));
  const tally: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };
  const load = commands.depositAll(deposits, 32, tally);
  while (tally.acknowledged.size < 300) await sleep(50);
  // Queries all along: every failure must be a dependency outage, said so.
  const queries = new LedgerClient(ledger.address);
  const failures: { code: status; dependency: string | undefined }[] = [];
  let querying = true;
  // A query starts every 20 ms whether or not the earlier ones answered: one caught on the
  // dead server waits up to its deadline, and queries must keep arriving while the read
  // model is closed (from the child's exit until its refill) to be answered UNAVAILABLE.
  const querier = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; querying; i++) {
      const query = queries.call(AccountQueries.method.getAccount, { accountId: accounts[i % accounts.length] ?? '' }, { deadlineMs: 3_000 }).then((answer) => {
        if (!answer.ok) failures.push({ code: answer.code, dependency: answer.errorInfo?.metadata['dependency'] });
      });
      inFlight.add(query);
      void query.finally(() => inFlight.delete(query));
      if (inFlight.size >= 16) await Promise.race(inFlight);
      await sleep(20);
    }
    await Promise.all(inFlight);
  })();
  const mongoPid = childServers(dataDir).get('mongo');
  expect(mongoPid).toBeDefined();

  process.kill(mongoPid ?? 0, 'SIGKILL');
  for (const until = Date.now() + 60_000; logged(lines, 'child server restarted') === undefined && Date.now() < until;) await sleep(100);
  await load;
  querying = false;
  await querier;

  expect(running(mongoPid ?? 0)).toBe(false);
  expect(logged(lines, 'child server restarted')).toMatchObject({ dependency: 'mongo', portChanged: false });
  expect(tally.refused).toEqual([]);
  expect(failures.some((f) => f.code === status.UNAVAILABLE)).toBe(true);
  // A query admitted just before the kill may run into the caller's own 3 s
  // deadline while it waits for the server; anything else is UNAVAILABLE naming mongo.
  expect(failures.filter((f) => f.code !== status.DEADLINE_EXCEEDED && (f.code !== status.UNAVAILABLE || f.dependency !== 'mongo'))).toEqual([]);
  const esdb = connectEventStore(esdbUrl);
  const mongo = await MongoClient.connect(mongoUrl);
  try {
    const folded = foldAccounts(await readAccountEvents(esdb.client));
    expect(await readSideOf(mongo.db('ledger'), folded, 60_000)).toEqual(asReadSide(folded));
  } finally {
    await mongo.close();
    await esdb.close();
    commands.close();
    queries.grpc.close();
  }
}, 300_000);
