import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { loadPackageDefinition, status, credentials, type GrpcObject, type ServiceClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import type { LedgerClient } from './ledger-client.js';

let api: ApiUnderTest;
let client: LedgerClient;
let address: string;
beforeAll(async () => {
  api = await startApiUnderTest();
  client = api.clients[0] as LedgerClient;
  address = client.grpc.getChannel().getTarget().replace(/^dns:/, '');
});
afterAll(async () => api?.stop());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GetAccountAsOf', () => {
  test('answers the exact state at a time between events, and at a revision', async () => {
    const accountId = randomUUID();
    const send = async <T>(p: Promise<{ ok: boolean } & T>) => expect((await p).ok).toBe(true);
    await send(client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' }));
    await send(client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 200n, currency: 'EUR' }));
    await pause(30);
    const between = new Date();
    await pause(30);
    await send(client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 50n, currency: 'EUR' }));

    const atTime = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value: timestampFromDate(between) } });
    expect(atTime.ok && atTime.response.account).toMatchObject({ accountId, ownerId: 'ann', balance: 200n, currency: 'EUR', status: AccountStatus.OPEN, txCount: 1n, revision: 1n });
    const now = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value: timestampFromDate(new Date()) } });
    expect(now.ok && now.response.account).toMatchObject({ balance: 150n, txCount: 2n, revision: 2n });
    const atRevision = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 0n } });
    expect(atRevision.ok && atRevision.response.account).toMatchObject({ balance: 0n, revision: 0n, txCount: 0n });
  });

  test('before the account was opened it did not exist; beyond the head is out of range', async () => {
    const accountId = randomUUID();
    const before = new Date(Date.now() - 60_000);
    await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
    const early = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value: timestampFromDate(before) } });
    expect(early).toMatchObject({ ok: false, code: status.NOT_FOUND, errorInfo: { reason: 'ACCOUNT_NOT_FOUND' } });
    const ahead = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 5n } });
    expect(ahead).toMatchObject({ ok: false, code: status.OUT_OF_RANGE, errorInfo: { reason: 'REVISION_NOT_REACHED' } });
  });

  test('an account that never existed is NOT_FOUND at any revision and any time (issue 12: revision 0 answered OUT_OF_RANGE)', async () => {
    const accountId = randomUUID();
    for (const asOf of [
      { case: 'revision' as const, value: 0n },
      { case: 'revision' as const, value: 7n },
      { case: 'timestamp' as const, value: timestampFromDate(new Date()) },
    ]) {
      const answer = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf });
      expect(answer).toMatchObject({ ok: false, code: status.NOT_FOUND, errorInfo: { reason: 'ACCOUNT_NOT_FOUND' } });
    }
  });

  test.each([
    ['nanos of 2e9', { seconds: 1_700_000_000n, nanos: 2_000_000_000 }],
    ['negative nanos', { seconds: 1_700_000_000n, nanos: -1 }],
    ['seconds of -1e12 (before year 1)', { seconds: -1_000_000_000_000n, nanos: 0 }],
    ['seconds after 9999-12-31', { seconds: 253_402_300_800n, nanos: 0 }],
  ])('a timestamp outside google.protobuf.Timestamp\'s range (%s) is INVALID_ARGUMENT naming as_of', async (_name, value) => {
    const accountId = randomUUID();
    await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
    const answer = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value } });
    expect(answer).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    expect(answer.ok ? [] : answer.badRequest?.fieldViolations.map((v) => v.field)).toEqual(['as_of']);
  });

  test('the edges of the Timestamp range are valid: 9999-12-31T23:59:59.999999999Z answers the latest state', async () => {
    const accountId = randomUUID();
    await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
    const last = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value: { seconds: 253_402_300_799n, nanos: 999_999_999 } } });
    expect(last.ok && last.response.account).toMatchObject({ accountId, revision: 0n });
    const first = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'timestamp', value: { seconds: -62_135_596_800n, nanos: 0 } } });
    expect(first).toMatchObject({ ok: false, code: status.NOT_FOUND });
  });

  test('read-model queries say they are not served here yet', async () => {
    const answer = await client.call(AccountQueries.method.getAccount, { accountId: randomUUID() });
    expect(answer).toMatchObject({ ok: false, code: status.UNIMPLEMENTED });
  });
});

describe('operations', () => {
  test('grpc.health.v1 reports the services as serving', async () => {
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String }));
    const Health = ((pkg.grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;
    const HealthClient = Health.Health as ServiceClientConstructor;
    const health = new HealthClient(address, credentials.createInsecure());
    const call = health.check?.bind(health);
    if (!call) throw new Error('no Check method');
    const check = (service: string) =>
      new Promise<unknown>((resolve, reject) => call({ service }, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));
    expect(await check('')).toEqual({ status: 'SERVING' });
    expect(await check('ledger.v1.AccountCommands')).toEqual({ status: 'SERVING' });
    health.close();
  });

  test('server reflection lists the services and describes their files', async () => {
    const reflectionProto = new URL('../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto', import.meta.url).pathname;
    const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true }));
    const Reflection = (((pkg.grpc as GrpcObject).reflection as GrpcObject).v1 as GrpcObject).ServerReflection as ServiceClientConstructor;
    const reflection = new Reflection(address, credentials.createInsecure());
    const ask = (request: object) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const open = reflection.serverReflectionInfo;
        if (!open) throw new Error('no ServerReflectionInfo method');
        const stream: ClientDuplexStream<object, Record<string, unknown>> = open.call(reflection);
        stream.on('data', (d) => {
          resolve(d);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    const listed = await ask({ list_services: '*' });
    const names = (listed.list_services_response as { service: { name: string }[] }).service.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['ledger.v1.AccountCommands', 'ledger.v1.AccountQueries', 'grpc.health.v1.Health']));
    const file = await ask({ file_containing_symbol: 'ledger.v1.AccountCommands' });
    const protos = (file.file_descriptor_response as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
    expect(protos.length).toBeGreaterThan(0);
    // The descriptors hold the service and its messages (proto-loader may merge one package's files into one).
    const text = Buffer.concat(protos).toString('latin1');
    for (const name of ['AccountCommands', 'Withdraw', 'WithdrawRequest', 'CommandResult']) expect(text).toContain(name);
    reflection.close();
  });
});
