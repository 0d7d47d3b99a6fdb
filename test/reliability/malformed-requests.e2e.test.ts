import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { readAccountEvents } from './account-events.js';
import { ledgerProcess, type LedgerProcess } from './ledger-process.js';
import { MalformedRequests, type Malformation } from './malformed-requests.js';
import { callRaw, newRawClient, type RawAnswer } from './raw-grpc.js';

// Given the api process (workers/api.ts) on a real event store and one open,
// funded account, when ≥ 10,000 malformed requests hit every public RPC,
// then the process stays up, every answer is a proper gRPC status, no
// command succeeds, and the store holds exactly the events it held before.

const REQUESTS = Number(process.env.LEDGER_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.LEDGER_FUZZ_SEED ?? 20_261_125);
const IN_FLIGHT = 24;
const methods = [...AccountCommands.methods, ...AccountQueries.methods];
const COMMANDS = `/${AccountCommands.typeName}/`;

let backends: TestBackends;
let esdb: EventStoreConnection;
let api: LedgerProcess;
let client: LedgerClient;
const target = { accountId: randomUUID(), currency: 'EUR', ownerId: 'fuzz-owner' };

beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  const url = backends.urls.esdb;
  if (url === undefined) throw new Error('no event store');
  esdb = connectEventStore(url);
  api = await ledgerProcess('api', { ESDB_URL: url });
  await api.start();
  client = new LedgerClient(api.address);
  const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), ...target });
  const funded = await client.call(AccountCommands.method.deposit, {
    commandId: randomUUID(), accountId: target.accountId, amount: 1_000n, currency: 'EUR',
  });
  if (!opened.ok || !funded.ok) throw new Error('could not set up the target account');
});
afterAll(async () => {
  client?.close();
  await api?.stop();
  await esdb?.close();
  await backends?.stop();
});

describe(`${REQUESTS} malformed requests against every public RPC`, () => {
  test('the server stays up, answers each with a proper status, and appends nothing', async () => {
    const before = await readAccountEvents(esdb.client);
    const raw = newRawClient(api.address);
    const byKind = new Map<Malformation, Map<number, number>>();
    const problems: string[] = [];
    let sent = 0;
    let internalFromHandlers = 0;

    const record = (kind: Malformation, path: string, answer: RawAnswer): void => {
      const codes = byKind.get(kind) ?? new Map<number, number>();
      codes.set(answer.code, (codes.get(answer.code) ?? 0) + 1);
      byKind.set(kind, codes);
      const where = `${kind} ${path}`;
      if (answer.problem !== undefined) problems.push(`${where}: ${answer.problem}`);
      if (answer.code === status.OK && path.startsWith(COMMANDS)) problems.push(`${where}: a malformed command succeeded`);
      if (answer.code === status.UNKNOWN) problems.push(`${where}: UNKNOWN (${answer.details})`);
      if (answer.code === status.UNAVAILABLE) problems.push(`${where}: UNAVAILABLE, the server went away (${answer.details})`);
      // grpc-js answers INTERNAL itself when a request does not decode; from a handler it would be a bug.
      if (answer.code === status.INTERNAL && !/deserializ/i.test(answer.details)) {
        internalFromHandlers += 1;
        problems.push(`${where}: INTERNAL from a handler (${answer.details})`);
      }
    };

    const requests = new MalformedRequests(target, SEED).generate(methods, REQUESTS);
    const worker = async (): Promise<void> => {
      for (let next = requests.next(); !next.done; next = requests.next()) {
        const r = next.value;
        sent += 1;
        record(r.kind, r.path, await callRaw(raw, r.path, r.bytes, 10_000));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    raw.close();

    const alive = api.running();
    const after = await readAccountEvents(esdb.client);
    const stillServes = await client.call(AccountCommands.method.deposit, {
      commandId: randomUUID(), accountId: target.accountId, amount: 1n, currency: 'EUR',
    });

    const table = [...byKind.entries()].map(([kind, codes]) =>
      `  ${kind.padEnd(16)} ${[...codes.entries()].sort(([a], [b]) => a - b).map(([c, n]) => `${status[c]}=${n}`).join(' ')}`);
    console.log([
      `fuzz: seed ${SEED}, requests tried ${sent} over ${methods.length} RPCs, ${IN_FLIGHT} in flight`,
      ...table,
      `events checked: ${before.length} account events before, ${after.length} after; INTERNAL from handlers: ${internalFromHandlers}`,
      `process alive: ${alive}; problems: ${problems.length}`,
      ...problems.slice(0, 20).map((p) => `  ${p}`),
    ].join('\n'));

    expect(sent).toBe(REQUESTS);
    expect(alive).toBe(true);
    expect(problems).toEqual([]);
    expect(after.map((e) => `${e.stream} ${e.type} ${e.commandId}`)).toEqual(before.map((e) => `${e.stream} ${e.type} ${e.commandId}`));
    expect(after.filter((e) => e.stream === `account-${target.accountId}`)).toHaveLength(2);
    expect(stillServes.ok).toBe(true);
  }, 300_000);
});
