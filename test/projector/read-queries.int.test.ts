import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { accountStream } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { ReadModelQueriesService } from '../../src/grpc/account-read-model-queries.js';
import {
  AccountQueries,
  GetAccountRequestSchema,
  ListAccountsByOwnerRequestSchema,
  ListTransactionsRequestSchema,
  type GetAccountResponse,
  type ListAccountsByOwnerResponse,
  type ListTransactionsResponse,
} from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { AccountStatus, TransactionType } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { grpcServiceDefinition } from '../../src/grpc/service-definition.js';
import { AccountReadQueries } from '../../src/readmodels/account-read-queries.js';
import type { RunningProjector } from '../../workers/projector.js';
import { ReadModelFixture, deposited, opened, quietLogger, withdrawn } from './read-model-fixture.js';

let fx: ReadModelFixture;
let projector: RunningProjector;
let api: ApiServer;
let handler: CommandHandler;
let store: EsdbAccountEventStore;
let client: Client;
const definition = grpcServiceDefinition(AccountQueries);

/** A plain unary call through grpc-js, as any client would make it. */
function call<Res>(method: string, req: unknown, timeoutMs = 5_000): Promise<Res> {
  const m = definition[method];
  if (m === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(m.path, m.requestSerialize, (buf: Buffer) => m.responseDeserialize(buf) as Res, req, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
      err || res === undefined ? reject(err) : resolve(res),
    );
  });
}

beforeAll(async () => {
  fx = await ReadModelFixture.start();
  projector = await fx.projector({ group: 'queries' });
  store = new EsdbAccountEventStore(fx.esdb);
  handler = new CommandHandler({ store, maxRetries: 3 });
  const readModel = new ReadModelQueriesService(new AccountReadQueries(fx.db, projector.registry));
  api = await startApiServer({ host: '127.0.0.1', port: 0, maxMessageBytes: 64 * 1024, handler, store, logger: quietLogger, readModel });
  client = new Client(`127.0.0.1:${api.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await api?.close();
  await projector?.stop();
  await fx?.stop();
});

describe('AccountQueries over the read model (gRPC)', () => {
  test('command → document → GetAccount with min_revision: read-your-writes', async () => {
    const accountId = randomUUID();
    await handler.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId: 'carol', currency: 'EUR' } }, commandId: randomUUID() });
    const answer = await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 2_500n, currency: 'EUR' } }, commandId: randomUUID() });
    const res = await call<GetAccountResponse>('getAccount', create(GetAccountRequestSchema, { accountId, minRevision: answer.revision }));
    expect(res.account).toMatchObject({ accountId, ownerId: 'carol', balance: 2_500n, currency: 'EUR', status: AccountStatus.OPEN, txCount: 1n, revision: answer.revision });
  });

  test('ListTransactions says who asked for each transaction: the principal its event recorded (issue 13)', async () => {
    const accountId = randomUUID();
    const carol = { id: 'carol', method: 'jwt' as const, operator: false };
    await handler.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId: 'carol', currency: 'EUR' } }, commandId: randomUUID(), principal: carol });
    await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 700n, currency: 'EUR' } }, commandId: randomUUID(), principal: carol });
    const last = await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 5n, currency: 'EUR' } }, commandId: randomUUID() });
    await call<GetAccountResponse>('getAccount', create(GetAccountRequestSchema, { accountId, minRevision: last.revision }));
    const listed = await call<ListTransactionsResponse>('listTransactions', create(ListTransactionsRequestSchema, { accountId }));
    expect(listed.transactions.map((t) => [t.amount, t.actor])).toEqual([[700n, 'carol'], [5n, '']]);
  });

  test('min_revision beyond what exists: DEADLINE_EXCEEDED saying the read model has not caught up', async () => {
    const accountId = randomUUID();
    await fx.append(accountId, [opened(accountId)]);
    const err = await call('getAccount', create(GetAccountRequestSchema, { accountId, minRevision: 5n }), 800).catch((e: ServiceError) => e);
    expect((err as ServiceError).code).toBe(status.DEADLINE_EXCEEDED);
    expect((err as ServiceError).details).toMatch(/not caught up|deadline/i);
  });

  test('an unknown account is NOT_FOUND; a bad id is INVALID_ARGUMENT', async () => {
    const missing = await call('getAccount', create(GetAccountRequestSchema, { accountId: randomUUID() })).catch((e: ServiceError) => e);
    expect((missing as ServiceError).code).toBe(status.NOT_FOUND);
    const bad = await call('getAccount', create(GetAccountRequestSchema, { accountId: 'nope' })).catch((e: ServiceError) => e);
    expect((bad as ServiceError).code).toBe(status.INVALID_ARGUMENT);
  });

  test('ListAccountsByOwner pages through every account of the owner once', async () => {
    const owner = `owner-${randomUUID()}`;
    const ids = Array.from({ length: 7 }, () => randomUUID());
    for (const id of ids) await fx.append(id, [opened(id, owner)]);
    await fx.expectReadModelEqualsEventStore(ids);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const res = await call<ListAccountsByOwnerResponse>('listAccountsByOwner', create(ListAccountsByOwnerRequestSchema, { ownerId: owner, pageSize: 3, pageToken: token }));
      seen.push(...res.accounts.map((a) => a.accountId));
      token = res.nextPageToken;
      pages += 1;
    } while (token !== '');
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].sort());
  });

  test('ListTransactions pages oldest first within a time range, with balance_after', async () => {
    const id = randomUUID();
    const t0 = new Date('2026-01-10T00:00:00.000Z');
    await fx.append(id, [opened(id)], t0);
    for (let day = 1; day <= 6; day += 1) await fx.append(id, [day % 3 === 0 ? withdrawn(10n) : deposited(100n)], new Date(t0.getTime() + day * 86_400_000));
    await fx.expectReadModelEqualsEventStore([id]);
    const range = { from: timestampFromDate(new Date('2026-01-12T00:00:00.000Z')), to: timestampFromDate(new Date('2026-01-16T00:00:00.000Z')) };
    const first = await call<ListTransactionsResponse>('listTransactions', create(ListTransactionsRequestSchema, { accountId: id, pageSize: 2, ...range }));
    const second = await call<ListTransactionsResponse>('listTransactions', create(ListTransactionsRequestSchema, { accountId: id, pageSize: 2, pageToken: first.nextPageToken, ...range }));
    expect(second.nextPageToken).toBe('');
    const all = [...first.transactions, ...second.transactions];
    expect(all.map((t) => [t.revision, t.type, t.amount, t.balanceAfter])).toEqual([
      [2n, TransactionType.DEPOSIT, 100n, 200n],
      [3n, TransactionType.WITHDRAWAL, 10n, 190n],
      [4n, TransactionType.DEPOSIT, 100n, 290n],
      [5n, TransactionType.DEPOSIT, 100n, 390n],
    ]);
    const badToken = await call('listTransactions', create(ListTransactionsRequestSchema, { accountId: id, pageToken: 'garbage' })).catch((e: ServiceError) => e);
    expect((badToken as ServiceError).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('reversals on the read side (issue 15)', () => {
  test('a reversed deposit shows reversed_by, its reversal shows reverses; the summary counts both', async () => {
    const accountId = randomUUID();
    const send = (command: Parameters<CommandHandler['handle']>[0]['command']) => handler.handle({ command, commandId: randomUUID() });
    await send({ type: 'OpenAccount', data: { accountId, ownerId: 'dora', currency: 'EUR' } });
    await send({ type: 'Deposit', data: { accountId, amount: 900n, currency: 'EUR' } });
    await send({ type: 'Deposit', data: { accountId, amount: 100n, currency: 'EUR' } });
    const depositId = (await store.readStream(accountStream(accountId), 1n))[0]!.eventId;
    const reversal = await send({ type: 'ReverseTransaction', data: { accountId, transactionId: depositId, reason: 'duplicate payment', original: undefined } });
    const reversalId = (await store.readStream(accountStream(accountId), reversal.revision))[0]!.eventId;

    const summary = await call<GetAccountResponse>('getAccount', create(GetAccountRequestSchema, { accountId, minRevision: reversal.revision }));
    expect(summary.account).toMatchObject({ balance: 100n, txCount: 3n, revision: 3n });
    const list = await call<ListTransactionsResponse>('listTransactions', create(ListTransactionsRequestSchema, { accountId }));
    expect(list.transactions.map((t) => [t.eventId, t.type, t.amount, t.balanceAfter, t.reversesEventId, t.reversedByEventId, t.reason])).toEqual([
      [depositId, TransactionType.DEPOSIT, 900n, 900n, '', reversalId, ''],
      [expect.any(String), TransactionType.DEPOSIT, 100n, 1000n, '', '', ''],
      [reversalId, TransactionType.DEPOSIT_REVERSAL, 900n, 100n, depositId, '', 'duplicate payment'],
    ]);
    await fx.expectReadModelEqualsEventStore([accountId]);
  });
});
