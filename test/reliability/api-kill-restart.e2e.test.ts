import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import {
  DepositRequestSchema, OpenAccountRequestSchema,
} from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { readAccountEvents } from './account-events.js';
import { ledgerProcess, type LedgerProcess } from './ledger-process.js';

// Given the api process under a steady load of deposits, when it is killed
// with SIGKILL and restarted several times while clients retry every
// unanswered command with the same command_id, then every command ends up
// acknowledged and in the store exactly once, and the balances add up.

const COMMANDS = Number(process.env.LEDGER_CRASH_COMMANDS ?? 600);
const KILLS = Number(process.env.LEDGER_CRASH_KILLS ?? 3);
const ACCOUNTS = 10;
const CLIENTS = 12;
const MAX_ATTEMPTS = 200;

/** Answers a retry cannot change: the command itself is wrong, retrying would not help. */
const FINAL = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION, status.ALREADY_EXISTS, status.OUT_OF_RANGE]);

let backends: TestBackends;
let esdb: EventStoreConnection;
let api: LedgerProcess;
let grpc: Client;

const call = (method: string, bytes: Uint8Array): Promise<ServiceError | null> =>
  new Promise((resolve) => {
    grpc.makeUnaryRequest(`/ledger.v1.AccountCommands/${method}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes),
      new Metadata(), { deadline: Date.now() + 3_000 }, (err: ServiceError | null) => resolve(err));
  });

beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  const url = backends.urls.esdb;
  if (url === undefined) throw new Error('no event store');
  esdb = connectEventStore(url);
  api = await ledgerProcess('api', { ESDB_URL: url });
  await api.start();
  // Reconnect quickly after a restart; the default backoff grows to minutes.
  grpc = new Client(api.address, credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500,
  });
});
afterAll(async () => {
  grpc?.close();
  await api?.stop();
  await esdb?.close();
  await backends?.stop();
});

describe('the api process killed and restarted under load', () => {
  test(`${COMMANDS} deposits, ${KILLS} SIGKILLs: every acknowledged command is in the store exactly once`, async () => {
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    for (const accountId of accounts) {
      const err = await call('OpenAccount', toBinary(OpenAccountRequestSchema, create(OpenAccountRequestSchema, {
        commandId: randomUUID(), accountId, ownerId: 'crash-owner', currency: 'EUR',
      })));
      expect(err).toBeNull();
    }
    const commands = Array.from({ length: COMMANDS }, (_, i) => ({
      commandId: randomUUID(), accountId: accounts[i % ACCOUNTS] ?? '', amount: BigInt(1 + (i % 97)),
    }));

    const acknowledged = new Set<string>();
    const refused: string[] = [];
    let attempts = 0;
    let queue = 0;
    const client = async (): Promise<void> => {
      for (let i = queue++; i < commands.length; i = queue++) {
        const c = commands[i];
        if (c === undefined) break;
        const bytes = toBinary(DepositRequestSchema, create(DepositRequestSchema, { ...c, currency: 'EUR' }));
        for (let attempt = 1; ; attempt++) {
          attempts += 1;
          const err = await call('Deposit', bytes);
          if (err === null) { acknowledged.add(c.commandId); break; }
          if (FINAL.has(err.code) || attempt >= MAX_ATTEMPTS) { refused.push(`${c.commandId}: ${status[err.code]} ${err.details}`); break; }
          await sleep(50);
        }
      }
    };

    let kills = 0;
    const killer = async (): Promise<void> => {
      for (let k = 1; k <= KILLS; k++) {
        // Kill at evenly spread points of progress, so each restart happens mid-load.
        while (acknowledged.size < (COMMANDS * k) / (KILLS + 1) && queue < COMMANDS) await sleep(20);
        if (queue >= COMMANDS && acknowledged.size >= COMMANDS) break;
        await api.kill('SIGKILL');
        kills += 1;
        await sleep(100);
        await api.start();
      }
    };

    await Promise.all([killer(), ...Array.from({ length: CLIENTS }, client)]);

    const events = await readAccountEvents(esdb.client);
    const deposits = events.filter((e) => e.type === 'MoneyDeposited');
    const perCommand = new Map<string, number>();
    for (const e of deposits) if (e.commandId !== undefined) perCommand.set(e.commandId, (perCommand.get(e.commandId) ?? 0) + 1);
    const notOnce = commands.filter((c) => acknowledged.has(c.commandId) && perCommand.get(c.commandId) !== 1)
      .map((c) => `${c.commandId} stored ${perCommand.get(c.commandId) ?? 0} times`);
    const unexpected = [...perCommand.keys()].filter((id) => !commands.some((c) => c.commandId === id));
    const expectedBalance = new Map<string, bigint>();
    for (const c of commands) expectedBalance.set(`account-${c.accountId}`, (expectedBalance.get(`account-${c.accountId}`) ?? 0n) + c.amount);
    const storedBalance = new Map<string, bigint>();
    for (const e of deposits) {
      const amount = typeof e.data === 'object' && e.data !== null && 'amount' in e.data ? BigInt(String(e.data.amount)) : 0n;
      storedBalance.set(e.stream, (storedBalance.get(e.stream) ?? 0n) + amount);
    }

    console.log([
      `crash: ${COMMANDS} deposits over ${ACCOUNTS} accounts from ${CLIENTS} clients; faults injected: ${kills} SIGKILL + restart of the api`,
      `  requests tried ${attempts} (${attempts - COMMANDS} retries), acknowledged ${acknowledged.size}, refused ${refused.length}`,
      `  events checked: ${events.length} account events, ${deposits.length} deposits; stored not exactly once: ${notOnce.length}; unknown command ids: ${unexpected.length}`,
      ...[...refused, ...notOnce].slice(0, 10).map((l) => `  ${l}`),
    ].join('\n'));

    expect(kills).toBe(KILLS);
    expect(refused).toEqual([]);
    expect(acknowledged.size).toBe(COMMANDS);
    expect(notOnce).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(deposits).toHaveLength(COMMANDS);
    expect(storedBalance).toEqual(expectedBalance);
  });
});
