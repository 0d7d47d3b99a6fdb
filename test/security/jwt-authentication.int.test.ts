import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { Metadata, status } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import {
  AccountQueries,
  GetAccountResponseSchema,
  ListAccountsByOwnerResponseSchema,
  ListTransactionsResponseSchema,
} from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import type { AccountReadModelQueries } from '../../src/grpc/account-queries-service.js';
import type { LedgerClient } from '../commands/ledger-client.js';
import { eventsOf } from '../commands/stream-reading.js';
import { startSecuredApi, type SecuredApi } from './secured-api.js';

// Issue 13: AUTH_MODE=jwt. Tokens are signed here with a throwaway key whose
// public half is the JWKS file the server reads, as an identity provider's would be.
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'ledger-api';

let dir: string;
let api: SecuredApi;
let client: LedgerClient;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
/** What the read model was asked: a refused query must not reach it. */
const readModelAsked: string[] = [];

const readModel: AccountReadModelQueries = {
  getAccount: async (req) => (readModelAsked.push(`GetAccount ${req.accountId}`), create(GetAccountResponseSchema, {})),
  listAccountsByOwner: async (req) => (readModelAsked.push(`ListAccountsByOwner ${req.ownerId}`), create(ListAccountsByOwnerResponseSchema, {})),
  listTransactions: async (req) => (readModelAsked.push(`ListTransactions ${req.accountId}`), create(ListTransactionsResponseSchema, {})),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-jwt-'));
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  api = await startSecuredApi(
    { AUTH_MODE: 'jwt', AUTH_JWKS_FILE: join(dir, 'jwks.json'), AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    readModel,
  );
  client = api.client();
});
afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Claims = { sub?: string; iss?: string; aud?: string; exp?: number; scope?: string; key?: CryptoKey };
async function token(claims: Claims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(claims.scope ? { scope: claims.scope } : {}) })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(claims.exp ?? now + 600);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(claims.key ?? signingKey);
}

const as = async (claims: Claims): Promise<{ metadata: Metadata }> => {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${await token(claims)}`);
  return { metadata };
};

async function annOpensAccountWith(amount: bigint): Promise<string> {
  const accountId = randomUUID();
  const ann = await as({ sub: 'ann' });
  expect((await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' }, ann)).ok).toBe(true);
  expect((await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' }, ann)).ok).toBe(true);
  return accountId;
}

describe('AUTH_MODE=jwt: who is calling', () => {
  test('a withdrawal without credentials is UNAUTHENTICATED, says what to send, and appends nothing', async () => {
    const accountId = await annOpensAccountWith(5000n);
    const answer = await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1000n, currency: 'EUR' });
    expect(answer).toMatchObject({ ok: false, code: status.UNAUTHENTICATED, message: expect.stringContaining('authorization: Bearer') });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
  });

  test.each([
    ['signed by a key outside the JWKS', { sub: 'ann', key: undefined as CryptoKey | undefined, stranger: true }, /not signed by a key/],
    ['with another audience', { sub: 'ann', aud: 'some-other-api' }, /aud/],
    ['from another issuer', { sub: 'ann', iss: 'https://evil.test/' }, /iss/],
    ['that has expired', { sub: 'ann', exp: Math.floor(Date.now() / 1000) - 3600 }, /expired/],
  ])('a token %s is UNAUTHENTICATED and appends nothing', async (_what, claims, reason) => {
    const accountId = await annOpensAccountWith(5000n);
    const bad = 'stranger' in claims ? await as({ ...claims, key: strangerKey }) : await as(claims);
    const answer = await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1000n, currency: 'EUR' }, bad);
    expect(answer).toMatchObject({ ok: false, code: status.UNAUTHENTICATED, message: expect.stringMatching(reason) });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
  });

  test('a header that is not a bearer token is UNAUTHENTICATED, and queries are refused the same way', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', 'Basic YW5uOnNlY3JldA==');
    const answer = await client.call(AccountQueries.method.listAccountsByOwner, { ownerId: 'ann' }, { metadata });
    expect(answer).toMatchObject({ ok: false, code: status.UNAUTHENTICATED, message: expect.stringContaining('Bearer') });
    expect(answer.ok || answer.message).not.toContain('YW5u');
    expect(readModelAsked).not.toContain('ListAccountsByOwner ann');
  });
});

describe('AUTH_MODE=jwt: whose money', () => {
  test("mallory's withdrawal from ann's account is PERMISSION_DENIED and appends nothing", async () => {
    const accountId = await annOpensAccountWith(6000n);
    const mallory = await as({ sub: 'mallory' });
    const answer = await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 6000n, currency: 'EUR' }, mallory);
    expect(answer).toMatchObject({ ok: false, code: status.PERMISSION_DENIED, errorInfo: { reason: 'PERMISSION_DENIED', metadata: { principal: 'mallory' } } });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
  });

  test('mallory may not deposit to, close, or open an account for ann, nor replay one of her command ids', async () => {
    const accountId = await annOpensAccountWith(10n);
    const mallory = await as({ sub: 'mallory' });
    const refused = [
      await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 1n, currency: 'EUR' }, mallory),
      await client.call(AccountCommands.method.closeAccount, { commandId: randomUUID(), accountId }, mallory),
      await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId: randomUUID(), ownerId: 'ann', currency: 'EUR' }, mallory),
      await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'mallory', currency: 'EUR' }, mallory),
    ];
    for (const answer of refused) expect(answer).toMatchObject({ ok: false, code: status.PERMISSION_DENIED });
    expect(await eventsOf(api.esdb, accountId)).toHaveLength(2);
  });

  test("mallory may not read ann's account, its history, or list ann's accounts", async () => {
    const accountId = await annOpensAccountWith(10n);
    const mallory = await as({ sub: 'mallory' });
    const refused = [
      await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } }, mallory),
      await client.call(AccountQueries.method.getAccount, { accountId }, mallory),
      await client.call(AccountQueries.method.listTransactions, { accountId }, mallory),
      await client.call(AccountQueries.method.listAccountsByOwner, { ownerId: 'ann' }, mallory),
    ];
    for (const answer of refused) expect(answer).toMatchObject({ ok: false, code: status.PERMISSION_DENIED });
    expect(readModelAsked.filter((q) => q.includes(accountId) || q === 'ListAccountsByOwner ann')).toEqual([]);
  });

  test('ann reads her own account and lists her own accounts', async () => {
    const accountId = await annOpensAccountWith(10n);
    const ann = await as({ sub: 'ann' });
    const asOf = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } }, ann);
    expect(asOf.ok && asOf.response.account).toMatchObject({ ownerId: 'ann', balance: 10n });
    expect((await client.call(AccountQueries.method.listAccountsByOwner, { ownerId: 'ann' }, ann)).ok).toBe(true);
    expect(readModelAsked).toContain('ListAccountsByOwner ann');
  });

  test('an operator (scope ledger:operator) may act on any account', async () => {
    const accountId = await annOpensAccountWith(100n);
    const operator = await as({ sub: 'ops-1', scope: 'openid ledger:operator' });
    const answer = await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 40n, currency: 'EUR' }, operator);
    expect(answer.ok && answer.response.result?.balance).toBe(60n);
    expect((await client.call(AccountQueries.method.listAccountsByOwner, { ownerId: 'ann' }, operator)).ok).toBe(true);
  });
});

describe('AUTH_MODE=jwt: refusals are counted', () => {
  test('as outcome unauthenticated and permission_denied of the command', async () => {
    const accountId = await annOpensAccountWith(10n);
    await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1n, currency: 'EUR' });
    await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1n, currency: 'EUR' }, await as({ sub: 'mallory' }));
    await client.call(AccountQueries.method.listAccountsByOwner, { ownerId: 'ann' }, await as({ sub: 'mallory' }));
    const text = await api.scrape();
    expect(text).toMatch(/ledger_commands_total\{type="Withdraw",outcome="unauthenticated"\} [1-9]/);
    expect(text).toMatch(/ledger_commands_total\{type="Withdraw",outcome="permission_denied"\} [1-9]/);
    expect(text).toMatch(/ledger_queries_total\{type="ListAccountsByOwner",outcome="permission_denied"\} [1-9]/);
  });
});

describe('AUTH_MODE=jwt: the audit trail', () => {
  test('every event records the principal that asked and how it was authenticated', async () => {
    const accountId = await annOpensAccountWith(100n);
    const operator = await as({ sub: 'ops-1', scope: 'ledger:operator' });
    await client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 40n, currency: 'EUR' }, operator);
    const metadata = (await eventsOf(api.esdb, accountId)).map((e) => e.metadata);
    expect(metadata).toEqual([
      expect.objectContaining({ actor: 'ann', auth_method: 'jwt', command_type: 'OpenAccount', command_fingerprint: expect.any(String) }),
      expect.objectContaining({ actor: 'ann', auth_method: 'jwt', command_type: 'Deposit' }),
      expect.objectContaining({ actor: 'ops-1', auth_method: 'jwt', command_type: 'Withdraw' }),
    ]);
  });
});
