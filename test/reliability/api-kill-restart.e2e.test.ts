import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { foldAccounts, readAccountEvents } from './account-events.js';
import { ledgerProcess, type LedgerProcess } from './ledger-process.js';
import { asReadSide, readSideOf } from './read-side.js';
import { RetryingCommands, type LoadTally } from './retrying-commands.js';

// Given the api process under a steady load of deposits, when it is killed
// with SIGKILL and restarted several times while clients retry every
// unanswered command with the same command_id, then every command ends up
// acknowledged and in the store exactly once, the balances add up, and a
// projector running alongside ends with read documents equal to the fold.

const COMMANDS = Number(process.env.LEDGER_CRASH_COMMANDS ?? 600);
const KILLS = Number(process.env.LEDGER_CRASH_KILLS ?? 3);
const ACCOUNTS = 10;
const CLIENTS = 12;

let backends: TestBackends;
let esdb: EventStoreConnection;
let api: LedgerProcess;
let commands: RetryingCommands;
let projector: LedgerProcess;
let mongo: MongoClient;
const database = `api_crash_${process.pid}`;

beforeAll(async () => {
  backends = await startTestBackends(['esdb', 'mongo']);
  const { esdb: url, mongo: mongoUrl } = backends.urls;
  if (url === undefined || mongoUrl === undefined) throw new Error('backends missing');
  esdb = connectEventStore(url);
  api = await ledgerProcess('api', { ESDB_URL: url });
  projector = await ledgerProcess('projector', {
    ESDB_URL: url, MONGO_URL: mongoUrl, MONGO_DB: database, PROJECTOR_GROUP: `api-crash-${process.pid}`, PROJECTOR_BATCH_MS: '20',
  });
  await Promise.all([api.start(), projector.start()]);
  mongo = await MongoClient.connect(mongoUrl);
  commands = new RetryingCommands(api.address);
});
afterAll(async () => {
  commands?.close();
  await Promise.all([api?.stop(), projector?.stop()]);
  await mongo?.close();
  await esdb?.close();
  await backends?.stop();
});

describe('the api process killed and restarted under load', () => {
  test(`${COMMANDS} deposits, ${KILLS} SIGKILLs: every acknowledged command is in the store exactly once`, async () => {
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    for (const accountId of accounts) await commands.openAccount(randomUUID(), accountId);
    const deposits = Array.from({ length: COMMANDS }, (_, i) => ({
      commandId: randomUUID(), accountId: accounts[i % ACCOUNTS] ?? '', amount: BigInt(1 + (i % 97)),
    }));
    const tally: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };

    let kills = 0;
    const killer = async (): Promise<void> => {
      for (let k = 1; k <= KILLS; k++) {
        // Kill at evenly spread points of progress, so each restart happens mid-load.
        while (tally.acknowledged.size < (COMMANDS * k) / (KILLS + 1)) await sleep(20);
        await api.kill('SIGKILL');
        kills += 1;
        await sleep(100);
        await api.start();
      }
    };
    await Promise.all([killer(), commands.depositAll(deposits, CLIENTS, tally)]);

    const events = await readAccountEvents(esdb.client);
    const stored = events.filter((e) => e.type === 'MoneyDeposited');
    const perCommand = new Map<string, number>();
    for (const e of stored) if (e.commandId !== undefined) perCommand.set(e.commandId, (perCommand.get(e.commandId) ?? 0) + 1);
    const notOnce = deposits.filter((d) => tally.acknowledged.has(d.commandId) && perCommand.get(d.commandId) !== 1)
      .map((d) => `${d.commandId} stored ${perCommand.get(d.commandId) ?? 0} times`);
    const known = new Set<string>(deposits.map((d) => d.commandId));
    const unexpected = [...perCommand.keys()].filter((id) => !known.has(id));
    const expected = new Map(accounts.map((a) => [a, deposits.filter((d) => d.accountId === a).reduce((s, d) => s + d.amount, 0n)]));
    const folded = foldAccounts(events);
    const balances = new Map([...folded].map(([id, f]) => [id, f.balance]));
    const readSide = await readSideOf(mongo.db(database), folded, 120_000);

    console.log([
      `crash: ${COMMANDS} deposits over ${ACCOUNTS} accounts from ${CLIENTS} clients; faults injected: ${kills} SIGKILL + restart of the api`,
      `  requests tried ${tally.attempts} (${tally.attempts - COMMANDS} retries), acknowledged ${tally.acknowledged.size}, refused ${tally.refused.length}`,
      `  events checked: ${events.length} account events, ${stored.length} deposits; stored not exactly once: ${notOnce.length}; unknown command ids: ${unexpected.length}`,
      `  read side: ${readSide.size} summaries; equal to the fold: ${[...folded].every(([id, f]) => readSide.get(id)?.revision === f.revision && readSide.get(id)?.balance === f.balance)}`,
      ...[...tally.refused, ...notOnce].slice(0, 10).map((l) => `  ${l}`),
    ].join('\n'));

    expect(kills).toBe(KILLS);
    expect(tally.refused).toEqual([]);
    expect(tally.acknowledged.size).toBe(COMMANDS);
    expect(notOnce).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(stored).toHaveLength(COMMANDS);
    expect(balances).toEqual(expected);
    expect(readSide).toEqual(asReadSide(folded));
  }, 300_000);
});
