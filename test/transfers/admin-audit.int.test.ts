import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { EVENT_SCHEMA_VERSION, accountStream, type AccountCommand, type AccountEvent } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { auditEventStore } from '../../src/eventstore/money-audit-source.js';
import { main } from '../../src/grpc/admin-service-cli.js';
import type { AdminBackend } from '../../src/grpc/admin-service.js';
import { startAdminServer, type AdminServer } from '../../src/grpc/admin-service-server.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

const TOKEN = 'audit-token-audit-token';
let backends: TestBackends;
let esdb: EventStoreConnection;
let store: EsdbAccountEventStore;
let admin: AdminServer;

beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  esdb = connectEventStore(backends.urls.esdb!);
  store = new EsdbAccountEventStore(esdb.client);
  const backend: AdminBackend = {
    token: TOKEN,
    rebuildable: [],
    defaultGroup: 'projector',
    rebuilds: { start: async () => { throw new Error('not in this test'); }, get: async () => undefined, cancel: async () => undefined, running: async () => new Map() },
    listProjections: async () => [],
    replayParked: async () => undefined,
    auditMoney: () => auditEventStore(esdb.client),
  };
  admin = await startAdminServer(backend, '127.0.0.1', 0);
});
afterAll(async () => {
  await admin?.close();
  await esdb?.close();
  await backends?.stop();
});
afterEach(() => vi.restoreAllMocks());

async function audit(): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const code = await main(['audit'], { ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(admin.port), ADMIN_TOKEN: TOKEN });
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n') };
}

test('ledger-admin audit: conserved over deposits, a reversal and a transfer in flight; a forged credit is reported, exit 1', async () => {
  const handler = new CommandHandler({ store, maxRetries: 5 });
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const [a, b] = [randomUUID(), randomUUID()];
  for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 1_000n, currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 50n, currency: 'EUR' } });
  const wrongDeposit = (await store.readStream(accountStream(a), 2n))[0]!.eventId;
  await run({ type: 'ReverseTransaction', data: { accountId: a, transactionId: wrongDeposit, original: undefined } });
  const transferId = randomUUID();
  await run({ type: 'TransferMoney', data: { accountId: a, transferId, toAccountId: b, amount: 300n, currency: 'EUR' } });

  const good = await audit();
  expect(good.code).toBe(0);
  expect(good.stdout).toContain('balances 700 + in flight 300 (1 transfers) = deposits - withdrawals 1000');
  expect(good.stdout).toContain('EUR\tbalances 700\tin flight 300\tdeposits - withdrawals 1000');
  expect(good.stdout).toContain('conserved');

  // A credit written twice (as a buggy writer would): money created.
  const credit: AccountEvent = { type: 'TransferCredited', data: { transferId, fromAccountId: a, amount: 300n } };
  const metadata = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 't', causationId: 't', schemaVersion: EVENT_SCHEMA_VERSION });
  await store.appendToStream(accountStream(b), [{ event: credit, metadata: metadata() }, { event: credit, metadata: metadata() }], 0n);
  const bad = await audit();
  expect(bad.code).toBe(1);
  expect(bad.stdout).toContain(`violation\ttransfer ${transferId} credited 2 times`);
  expect(bad.stdout).toContain('NOT conserved');
});
