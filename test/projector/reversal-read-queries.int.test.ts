import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { accountStream } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { ReadModelQueriesService } from '../../src/grpc/account-read-model-queries.js';
import {
  AccountQueries,
  GetAccountRequestSchema,
  ListTransactionsRequestSchema,
  type GetAccountResponse,
  type ListTransactionsResponse,
} from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { TransactionType } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { grpcServiceDefinition } from '../../src/grpc/service-definition.js';
import { AccountReadQueries } from '../../src/readmodels/account-read-queries.js';
import type { RunningProjector } from '../../workers/projector.js';
import { ReadModelFixture, quietLogger } from './read-model-fixture.js';

let fx: ReadModelFixture;
let projector: RunningProjector;
let api: ApiServer;
let handler: CommandHandler;
let store: EsdbAccountEventStore;
let client: Client;
const definition = grpcServiceDefinition(AccountQueries);

function call<Res>(method: string, req: unknown): Promise<Res> {
  const m = definition[method];
  if (m === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(m.path, m.requestSerialize, (buf: Buffer) => m.responseDeserialize(buf) as Res, req, new Metadata(), { deadline: Date.now() + 5_000 }, (err, res) =>
      err || res === undefined ? reject(err) : resolve(res),
    );
  });
}

beforeAll(async () => {
  fx = await ReadModelFixture.start();
  projector = await fx.projector({ group: 'reversal-queries' });
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
