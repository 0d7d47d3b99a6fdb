import { randomUUID } from 'node:crypto';
import { connect, type ClientHttp2Session } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands, DepositRequestSchema } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { startApiUnderTest, type ApiUnderTest } from './api-under-test.js';
import type { LedgerClient } from './ledger-client.js';
import { eventTypesOf } from './stream-reading.js';

/**
 * Issue 12: requests no gRPC library would send, written frame by frame over
 * node:http2, get the statuses the gRPC spec (and grpc-go) gives, and change
 * nothing in the store.
 */
let api: ApiUnderTest;
let client: LedgerClient;
let session: ClientHttp2Session;
beforeAll(async () => {
  api = await startApiUnderTest();
  client = api.clients[0] as LedgerClient;
  session = connect(`http://${client.grpc.getChannel().getTarget().replace(/^dns:/, '')}`);
});
afterAll(async () => {
  session?.close();
  await api?.stop();
});

type Raw = { readonly code: number; readonly message: string };

/** One POST to `method` with `frames` as the body (each already framed) and extra headers; the grpc-status it ends with. */
function rawCall(method: string, frames: readonly Buffer[], headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST', ':path': `/ledger.v1.AccountCommands/${method}`, 'content-type': 'application/grpc', te: 'trailers', ...headers,
    });
    let head: Record<string, unknown> = {};
    req.on('response', (h) => { head = h; });
    req.on('trailers', (t) => resolve(statusOf({ ...head, ...t })));
    req.on('end', () => resolve(statusOf(head))); // a trailers-only answer comes as headers
    req.on('error', reject);
    req.resume();
    for (const f of frames) req.write(f);
    req.end();
  });
}
const statusOf = (h: Record<string, unknown>): Raw => ({
  code: Number(h['grpc-status'] ?? -1),
  message: decodeURIComponent(String(h['grpc-message'] ?? '')),
});
const frame = (payload: Uint8Array, compressed = false): Buffer => {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
};

async function givenAccount(): Promise<string> {
  const accountId = randomUUID();
  const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'o', currency: 'EUR' });
  expect(opened.ok).toBe(true);
  return accountId;
}
const depositBytes = (accountId: string) =>
  toBinary(DepositRequestSchema, create(DepositRequestSchema, { commandId: randomUUID(), accountId, amount: 100n, currency: 'EUR' }));

describe('the Compressed-Flag without a negotiated encoding', () => {
  test.each([
    ['no grpc-encoding header', {}],
    ['grpc-encoding: identity', { 'grpc-encoding': 'identity' }],
  ])('%s: INTERNAL naming the flag, and the deposit is not appended', async (_name, headers) => {
    const accountId = await givenAccount();
    const answer = await rawCall('Deposit', [frame(depositBytes(accountId), true)], headers);
    expect(answer.code).toBe(status.INTERNAL);
    expect(answer.message).toContain('Compressed-Flag');
    expect(await eventTypesOf(api.esdb, accountId)).toEqual(['AccountOpened']);
  });

  test('a gzip message with grpc-encoding: gzip is still accepted', async () => {
    const accountId = await givenAccount();
    const answer = await rawCall('Deposit', [frame(gzipSync(depositBytes(accountId)), true)], { 'grpc-encoding': 'gzip' });
    expect(answer).toEqual({ code: status.OK, message: 'OK' });
    expect(await eventTypesOf(api.esdb, accountId)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });
});

describe('a unary call with other than one request message', () => {
  test('none: UNIMPLEMENTED saying a unary method got no request message', async () => {
    const answer = await rawCall('Deposit', []);
    expect(answer.code).toBe(status.UNIMPLEMENTED);
    expect(answer.message).toBe('unary method /ledger.v1.AccountCommands/Deposit received no request message; send exactly one');
  });

  test('two: UNIMPLEMENTED saying a unary method got a second message, and neither is appended', async () => {
    const accountId = await givenAccount();
    const answer = await rawCall('Deposit', [frame(depositBytes(accountId)), frame(depositBytes(accountId))]);
    expect(answer.code).toBe(status.UNIMPLEMENTED);
    expect(answer.message).toBe('unary method /ledger.v1.AccountCommands/Deposit received a second request message; send exactly one');
    expect(await eventTypesOf(api.esdb, accountId)).toEqual(['AccountOpened']);
  });
});

test('a garbage grpc-timeout is INTERNAL naming the header (what grpc-go answers: "malformed grpc-timeout"), nothing appended', async () => {
  const accountId = await givenAccount();
  const answer = await rawCall('Deposit', [frame(depositBytes(accountId))], { 'grpc-timeout': 'soon' });
  expect(answer.code).toBe(status.INTERNAL);
  expect(answer.message).toContain('grpc-timeout');
  expect(await eventTypesOf(api.esdb, accountId)).toEqual(['AccountOpened']);
});
