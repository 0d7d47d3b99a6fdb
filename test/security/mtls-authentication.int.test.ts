import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import type { LedgerClient } from '../commands/ledger-client.js';
import { eventsOf } from '../commands/stream-reading.js';
import { startSecuredApi, type SecuredApi } from './secured-api.js';

// Issue 13: AUTH_MODE=mtls. Before it, any certificate from the client CA
// could move anyone's money: a second certificate (CN=mallory) withdrew from ann's account.
let dir: string;
let api: SecuredApi;
const file = (name: string) => join(dir, name);

/** Throwaway PKI: the client CA, another CA, the server's certificate, and client certificates. */
function makeCertificates(): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ca = (name: string) =>
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '1', '-subj', `/CN=${name}`);
  const signed = (name: string, by: string, subject: string, san: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  ca('client-ca');
  ca('other-ca');
  signed('server', 'client-ca', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  signed('ann', 'client-ca', '/CN=ann', 'URI:spiffe://ledger.test/ann');
  signed('mallory', 'client-ca', '/CN=mallory', 'URI:spiffe://ledger.test/mallory');
  signed('ops', 'client-ca', '/CN=ops-1', 'URI:spiffe://ledger.test/ops-1');
  signed('ann-elsewhere', 'other-ca', '/CN=ann', 'URI:spiffe://ledger.test/ann');
}

const channel = (cert?: string) =>
  credentials.createSsl(
    readFileSync(file('client-ca.crt')),
    cert ? readFileSync(file(`${cert}.key`)) : null,
    cert ? readFileSync(file(`${cert}.crt`)) : null,
  );

let ann: LedgerClient;
let mallory: LedgerClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-mtls-'));
  makeCertificates();
  api = await startSecuredApi({
    AUTH_MODE: 'mtls',
    AUTH_MTLS_OPERATORS: 'ops-1',
    GRPC_TLS_CERT_FILE: file('server.crt'),
    GRPC_TLS_KEY_FILE: file('server.key'),
    GRPC_TLS_CLIENT_CA_FILE: file('client-ca.crt'),
  });
  ann = api.client(channel('ann'));
  mallory = api.client(channel('mallory'));
}, 60_000);
afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function annsAccount(amount: bigint): Promise<string> {
  const accountId = randomUUID();
  expect((await ann.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' })).ok).toBe(true);
  expect((await ann.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' })).ok).toBe(true);
  return accountId;
}

describe('AUTH_MODE=mtls', () => {
  test("a second certificate from the same CA (CN=mallory) may not withdraw from ann's account: PERMISSION_DENIED, nothing appended", async () => {
    const accountId = await annsAccount(5000n);
    const answer = await mallory.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1000n, currency: 'EUR' });
    expect(answer).toMatchObject({ ok: false, code: status.PERMISSION_DENIED, errorInfo: { metadata: { principal: 'mallory' } } });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
    expect(await mallory.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } })).toMatchObject({
      ok: false,
      code: status.PERMISSION_DENIED,
    });
  });

  test('ann acts on her account; the events record CN=ann and mtls', async () => {
    const accountId = await annsAccount(5000n);
    const answer = await ann.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1000n, currency: 'EUR' });
    expect(answer.ok && answer.response.result?.balance).toBe(4000n);
    const metadata = (await eventsOf(api.esdb, accountId)).map((e) => e.metadata);
    expect(metadata).toEqual([1, 2, 3].map(() => expect.objectContaining({ actor: 'ann', auth_method: 'mtls' })));
  });

  test('a certificate named in AUTH_MTLS_OPERATORS may act on any account', async () => {
    const accountId = await annsAccount(50n);
    const ops = api.client(channel('ops'));
    const answer = await ops.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 50n, currency: 'EUR' });
    expect(answer.ok && answer.response.result?.balance).toBe(0n);
  });

  test.each([
    ['no client certificate', undefined],
    ['a certificate from another CA, even one that says CN=ann', 'ann-elsewhere'],
  ])('%s: UNAUTHENTICATED with a reason, nothing appended', async (_what, cert) => {
    const accountId = await annsAccount(5000n);
    const stranger = api.client(channel(cert));
    const answer = await stranger.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1000n, currency: 'EUR' });
    expect(answer).toMatchObject({ ok: false, code: status.UNAUTHENTICATED, message: expect.stringContaining('client certificate') });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
  });
});
