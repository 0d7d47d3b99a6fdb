import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CommandHandler, type AccountEventStore } from '../../src/app/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { startApiServer } from '../../src/grpc/server.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { LedgerClient } from './ledger-client.js';
import { eventTypesOf } from './stream-reading.js';

let backends: TestBackends;
let esdb: EventStoreConnection;
beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  esdb = connectEventStore(backends.urls.esdb ?? '');
});
afterAll(async () => {
  await esdb?.close();
  await backends?.stop();
});

test('closing the server lets an in-flight command finish, then refuses new calls', async () => {
  const real = new EsdbAccountEventStore(esdb.client);
  let releaseAppend: () => void = () => {};
  let appendStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => (appendStarted = resolve));
  // The store holds the append until the test has asked the server to close.
  const store: AccountEventStore = {
    readStream: (s, r) => real.readStream(s, r),
    readEvents: (s, r) => real.readEvents(s, r),
    appendToStream: async (s, events, rev) => {
      appendStarted();
      await new Promise<void>((release) => (releaseAppend = release));
      return real.appendToStream(s, events, rev);
    },
  };
  const server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: 65536,
    handler: new CommandHandler({ store, maxRetries: 3 }),
    store,
    logger: pino({ level: 'silent' }),
    shutdownGraceMs: 10_000,
  });
  const client = new LedgerClient(`127.0.0.1:${server.port}`);
  const accountId = randomUUID();
  const inFlight = client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
  await started;
  const closed = server.close();
  const late = new LedgerClient(`127.0.0.1:${server.port}`);
  const refused = await late.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId: randomUUID(), ownerId: 'o', currency: 'EUR' }, { deadlineMs: 2_000 });
  releaseAppend();
  const answer = await inFlight;
  await closed;
  expect(answer.ok).toBe(true);
  expect(refused.ok).toBe(false);
  expect(refused.ok ? undefined : refused.code).toBe(status.UNAVAILABLE);
  expect(await eventTypesOf(esdb, accountId)).toEqual(['AccountOpened']);
  client.close();
  late.close();
});
