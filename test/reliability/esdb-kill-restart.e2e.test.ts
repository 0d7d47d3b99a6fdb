import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort, spawnListening, type ChildServer } from '../../src/embedded/index.js';
import { connectEventStore } from '../../src/eventstore/connection.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { foldAccounts, readAccountEvents } from './account-events.js';
import { asReadSide, readSideOf } from './read-side.js';
import { ledgerProcess, type LedgerProcess } from './ledger-process.js';
import { RetryingCommands, type LoadTally } from './retrying-commands.js';

// Given the embedded EventStoreDB-compatible server as its own process (data
// dir, fsync), the api and a projector on it, when the store is SIGKILLed and
// restarted under a load of retried deposits, then no acknowledged event is
// lost or doubled, the api and the projector reconnect by themselves, and the
// read documents end up equal to the fold of the event store.

const COMMANDS = Number(process.env.LEDGER_CRASH_COMMANDS ?? 400);
const KILLS = Number(process.env.LEDGER_CRASH_KILLS ?? 2);
const ACCOUNTS = 8;
const CLIENTS = 8;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// A real EventStoreDB given by ESDB_URL is not ours to kill.
const ownStore = process.env.ESDB_URL === undefined || process.env.ESDB_URL === '';

let backends: TestBackends;
let dataDir: string;
let esdbPort: number;
let store: ChildServer | undefined;
let api: LedgerProcess;
let projector: LedgerProcess;
let mongo: MongoClient;
let commands: RetryingCommands;
const database = `reliability_${process.pid}`;

const startStore = async (): Promise<ChildServer> =>
  spawnListening(process.execPath, [join(ROOT, 'bin/ledger-esdb.js'), '--port', String(esdbPort), '--data', dataDir], esdbPort, 60_000);

beforeAll(async () => {
  if (!ownStore) return;
  backends = await startTestBackends(['mongo']);
  const mongoUrl = backends.urls.mongo ?? '';
  dataDir = mkdtempSync(join(tmpdir(), 'ledger-esdb-crash-'));
  esdbPort = await freePort();
  store = await startStore();
  const esdbUrl = `esdb://127.0.0.1:${esdbPort}?tls=false`;
  api = await ledgerProcess('api', { ESDB_URL: esdbUrl });
  projector = await ledgerProcess('projector', {
    ESDB_URL: esdbUrl, MONGO_URL: mongoUrl, MONGO_DB: database, PROJECTOR_GROUP: `crash-${process.pid}`, PROJECTOR_BATCH_MS: '20',
  });
  await Promise.all([api.start(), projector.start()]);
  mongo = await MongoClient.connect(mongoUrl);
  commands = new RetryingCommands(api.address);
});
afterAll(async () => {
  commands?.close();
  await projector?.stop();
  await api?.stop();
  await mongo?.close();
  await store?.stop();
  await backends?.stop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe('the event store killed and restarted under load', () => {
  test.skipIf(!ownStore)(`${COMMANDS} deposits, ${KILLS} SIGKILLs of the store: nothing acknowledged is lost, the read side converges`, async () => {
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    for (const accountId of accounts) await commands.openAccount(randomUUID(), accountId);
    const deposits = Array.from({ length: COMMANDS }, (_, i) => ({
      commandId: randomUUID(), accountId: accounts[i % ACCOUNTS] ?? '', amount: BigInt(1 + (i % 89)),
    }));
    const tally: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };

    let kills = 0;
    const killer = async (): Promise<void> => {
      for (let k = 1; k <= KILLS; k++) {
        while (tally.acknowledged.size < (COMMANDS * k) / (KILLS + 1)) await sleep(20);
        await store?.stop('SIGKILL');
        kills += 1;
        await sleep(300);
        store = await startStore();
      }
    };
    await Promise.all([killer(), commands.depositAll(deposits, CLIENTS, tally)]);

    const esdb = connectEventStore(`esdb://127.0.0.1:${esdbPort}?tls=false`);
    const events = await readAccountEvents(esdb.client);
    await esdb.close();
    const folded = foldAccounts(events);
    const perCommand = new Map<string, number>();
    for (const e of events) if (e.commandId !== undefined) perCommand.set(e.commandId, (perCommand.get(e.commandId) ?? 0) + 1);
    const lostOrDoubled = deposits.filter((d) => tally.acknowledged.has(d.commandId) && perCommand.get(d.commandId) !== 1);

    // The projector reconnects by itself; give it a bounded time to catch up.
    const readSide = await readSideOf(mongo.db(database), folded, 120_000);
    const transactions = [...readSide.values()].reduce((n, a) => n + a.transactions, 0);
    const caughtUp = [...folded].every(([id, f]) => readSide.get(id)?.revision === f.revision);

    console.log([
      `esdb crash: ${COMMANDS} deposits over ${ACCOUNTS} accounts from ${CLIENTS} clients; faults injected: ${kills} SIGKILL + restart of the event store`,
      `  requests tried ${tally.attempts} (${tally.attempts - COMMANDS} retries), acknowledged ${tally.acknowledged.size}, refused ${tally.refused.length}`,
      `  events checked: ${events.length} account events; acknowledged but not stored exactly once: ${lostOrDoubled.length}`,
      `  read side: ${readSide.size} summaries, ${transactions} transactions; caught up: ${caughtUp}; api alive ${api.running()}, projector alive ${projector.running()}`,
      ...tally.refused.slice(0, 5).map((l) => `  ${l}`),
    ].join('\n'));

    expect(kills).toBe(KILLS);
    expect(tally.refused).toEqual([]);
    expect(tally.acknowledged.size).toBe(COMMANDS);
    expect(lostOrDoubled).toEqual([]);
    expect(api.running() && projector.running()).toBe(true);
    expect(readSide).toEqual(asReadSide(folded));
    expect(transactions).toBe(COMMANDS);
  }, 300_000);
});
