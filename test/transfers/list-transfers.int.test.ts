import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler, Transfers, transferIdFor } from '../../src/app/index.js';
import type { Principal } from '../../src/app/principal.js';
import { loadConfig } from '../../src/config.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import { ReadModelQueriesService } from '../../src/grpc/account-read-model-queries.js';
import { TransferStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountQueries, TransferDirection } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { AccountReadQueries } from '../../src/readmodels/account-read-queries.js';
import { ProjectionRegistry } from '../../src/readmodels/projection-registry.js';
import { startTransferProcess, transferProcessSettings, type RunningTransferProcess } from '../../workers/transfer-process.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ReadModelFixture, quietLogger } from '../projector/read-model-fixture.js';

let fx: ReadModelFixture;
let worker: RunningTransferProcess;
let api: ApiServer;
let client: LedgerClient;
let handler: CommandHandler;
let transfers: Transfers;
const [a1, a2, b1, missing] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
/** Every transfer made, oldest first. */
const made: { id: string; from: string; to: string; amount: bigint }[] = [];

/** The caller is named by an `x-test-principal` header; `ops` holds the operator role. */
const authenticate = async (call: { metadata: Metadata }): Promise<Principal> => {
  const id = String(call.metadata.get('x-test-principal')[0] ?? 'nobody');
  return { id, method: 'jwt', operator: id === 'ops' };
};
const as = (principal: string) => {
  const metadata = new Metadata();
  metadata.set('x-test-principal', principal);
  return { metadata };
};
const list = (principal: string, req: { accountId: string; direction?: TransferDirection; pageSize?: number; pageToken?: string }) =>
  client.call(AccountQueries.method.listTransfers, req, as(principal));

async function transfer(from: string, to: string, amount: bigint): Promise<void> {
  const commandId = randomUUID();
  const id = transferIdFor(from, commandId);
  await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: from, transferId: id, toAccountId: to, amount, currency: 'EUR' } }, commandId });
  await transfers.getTransfer(id, Date.now() + 20_000);
  made.push({ id, from, to, amount });
  // requested_at has millisecond precision: keep the order unambiguous.
  await new Promise((r) => setTimeout(r, 5));
}

beforeAll(async () => {
  fx = await ReadModelFixture.start();
  const config = loadConfig({});
  worker = await startTransferProcess(config, fx.esdbServer.connectionString, quietLogger, { ...transferProcessSettings(config), group: `transfers-${randomUUID()}` }, fx.db);
  const store = new EsdbAccountEventStore(fx.esdb);
  handler = new CommandHandler({ store, maxRetries: 50 });
  transfers = new Transfers(handler, new EsdbTransferEventStore(fx.esdb));
  const readModel = new ReadModelQueriesService(new AccountReadQueries(fx.db, new ProjectionRegistry(fx.db)));
  api = await startApiServer({ host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 1024, handler, store, logger: quietLogger, readModel, transfers, authenticate });
  client = new LedgerClient(`127.0.0.1:${api.port}`);
  for (const [accountId, ownerId] of [[a1, 'alice'], [a2, 'alice'], [b1, 'bob']] as const) {
    await handler.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId, currency: 'EUR' } }, commandId: randomUUID() });
    await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 10_000n, currency: 'EUR' } }, commandId: randomUUID() });
  }
  await transfer(a1, b1, 101n);
  await transfer(b1, a1, 102n);
  await transfer(a1, missing, 103n); // fails: refunded
  await transfer(a2, b1, 104n); // not a1's
  await transfer(a1, a2, 105n);
  await transfer(b1, a1, 106n);
  // The documents trail the transfer streams: wait until every one is there and settled.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const all = await Promise.all([a1, a2, b1].map((accountId) => list('ops', { accountId, pageSize: 500 })));
    const docs = all.flatMap((r) => (r.ok ? r.response.transfers : []));
    if (new Set(docs.map((t) => t.transferId)).size === made.length && docs.every((t) => t.status !== TransferStatus.PENDING)) break;
    if (Date.now() > deadline) throw new Error('transfer documents not written in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  client?.close();
  await api?.close();
  await worker?.stop();
  await fx?.stop();
});

const touching = (accountId: string, roles: ('from' | 'to')[] = ['from', 'to']) =>
  made.filter((t) => roles.some((r) => t[r] === accountId)).map((t) => t.id).reverse();

describe('ListTransfers (issue 15): an account\'s transfers from the read side', () => {
  test('both directions, newest first, with status, legs and failure reason', async () => {
    const r = await list('alice', { accountId: a1 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.response.transfers.map((t) => t.transferId)).toEqual(touching(a1));
    expect(r.response.nextPageToken).toBe('');
    const failed = r.response.transfers.find((t) => t.toAccountId === missing);
    expect(failed).toMatchObject({ fromAccountId: a1, amount: 103n, currency: 'EUR', status: TransferStatus.FAILED });
    expect(failed?.failureReason).toMatch(/^ACCOUNT_NOT_FOUND: /);
    const credited = r.response.transfers.find((t) => t.amount === 102n);
    expect(credited).toMatchObject({ fromAccountId: b1, toAccountId: a1, status: TransferStatus.COMPLETED, failureReason: '' });
    expect(credited?.requestedAt).toBeDefined();
    expect(credited?.finishedAt).toBeDefined();
  });

  test('one direction: outgoing only, incoming only', async () => {
    const out = await list('alice', { accountId: a1, direction: TransferDirection.OUTGOING });
    const into = await list('alice', { accountId: a1, direction: TransferDirection.INCOMING });
    expect(out.ok && out.response.transfers.map((t) => t.transferId)).toEqual(touching(a1, ['from']));
    expect(into.ok && into.response.transfers.map((t) => t.transferId)).toEqual(touching(a1, ['to']));
  });

  test('pages of two follow each other without gaps or repeats; the last page has no token', async () => {
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const r = await list('bob', { accountId: b1, pageSize: 2, pageToken });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.response.transfers.length).toBeLessThanOrEqual(2);
      seen.push(...r.response.transfers.map((t) => t.transferId));
      pageToken = r.response.nextPageToken;
      pages++;
    } while (pageToken !== '' && pages < 10);
    expect(seen).toEqual(touching(b1));
    expect(pages).toBe(Math.ceil(touching(b1).length / 2));
  });

  test('a caller sees only transfers of accounts they own: another owner\'s account is PERMISSION_DENIED, an id nobody owns NOT_FOUND; an operator sees any', async () => {
    const foreign = await list('alice', { accountId: b1 });
    expect(foreign.ok ? undefined : foreign.code).toBe(status.PERMISSION_DENIED);
    // Money sent to an id nobody owns (refunded) is not listed to whoever asks for that id.
    const nobodys = await list('alice', { accountId: missing });
    expect(nobodys.ok ? undefined : nobodys.code).toBe(status.NOT_FOUND);
    const ops = await list('ops', { accountId: missing });
    expect(ops.ok && ops.response.transfers.map((t) => t.transferId)).toEqual(touching(missing));
  });

  test('bad input is INVALID_ARGUMENT naming the field', async () => {
    const cases: [Parameters<typeof list>[1], string][] = [
      [{ accountId: 'not-a-uuid' }, 'account_id'],
      [{ accountId: a1, pageSize: -1 }, 'page_size'],
      [{ accountId: a1, pageSize: 501 }, 'page_size'],
      [{ accountId: a1, pageToken: 'bm90IGEgdG9rZW4' }, 'page_token'],
      [{ accountId: a1, direction: 7 as TransferDirection }, 'direction'],
    ];
    for (const [req, field] of cases) {
      const r = await list('alice', req);
      expect(r.ok ? undefined : r.code, field).toBe(status.INVALID_ARGUMENT);
      expect(r.ok ? '' : r.message, field).toContain(field);
    }
  });
});
