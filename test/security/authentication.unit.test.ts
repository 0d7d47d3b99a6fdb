import { Metadata } from '@grpc/grpc-js';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { beforeAll, describe, expect, test } from 'vitest';
import { authenticator, Unauthenticated, type CallCredentials, type ClientCertificate } from '../../src/grpc/authentication.js';

// Given a call's credentials, then this principal (or UNAUTHENTICATED); issue 13.
const certificate = (subject: { CN?: unknown; O?: string }, subjectaltname?: string): ClientCertificate => ({ subject, subjectaltname });
const call = (opts: { authorization?: string; cert?: ClientCertificate }): CallCredentials => {
  const metadata = new Metadata();
  if (opts.authorization !== undefined) metadata.set('authorization', opts.authorization);
  return { metadata, getAuthContext: () => (opts.cert ? { sslPeerCertificate: opts.cert } : {}) };
};

describe('client certificates', () => {
  const byCn = authenticator({ mtls: { principalFrom: 'cn', operators: new Set(['ops-1']) } });
  const bySan = authenticator({ mtls: { principalFrom: 'san', operators: new Set() } });

  test('the subject CN is the principal; AUTH_MTLS_OPERATORS names operators', async () => {
    expect(await byCn(call({ cert: certificate({ CN: 'ann', O: 'bank' }) }))).toEqual({ id: 'ann', method: 'mtls', operator: false });
    expect(await byCn(call({ cert: certificate({ CN: 'ops-1' }) }))).toMatchObject({ id: 'ops-1', operator: true });
  });

  test('san: the first URI, else DNS, else email alternative name, JSON-quoted values decoded', async () => {
    expect(await bySan(call({ cert: certificate({ CN: 'x' }, 'DNS:ann.example, URI:spiffe://bank/ann') }))).toMatchObject({ id: 'spiffe://bank/ann' });
    expect(await bySan(call({ cert: certificate({ CN: 'x' }, 'email:ann@bank.test, DNS:ann.example') }))).toMatchObject({ id: 'ann.example' });
    expect(await bySan(call({ cert: certificate({ CN: 'x' }, 'URI:"spiffe://bank/a, b"') }))).toMatchObject({ id: 'spiffe://bank/a, b' });
  });

  test('no certificate, or none of the chosen name, is UNAUTHENTICATED', async () => {
    await expect(byCn(call({}))).rejects.toThrow(Unauthenticated);
    await expect(bySan(call({ cert: certificate({ CN: 'ann' }) }))).rejects.toThrow(/subject alternative name/);
    // A repeated CN names no single principal.
    await expect(byCn(call({ cert: certificate({ CN: ['ann', 'mallory'] }) }))).rejects.toThrow(/subject CN/);
  });
});

describe('bearer tokens', () => {
  let key: CryptoKey;
  let byToken: ReturnType<typeof authenticator>;
  const sign = (claims: Record<string, unknown>, sub?: string) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer('iss').setAudience('aud').setExpirationTime('1m');
    return (sub === undefined ? jwt : jwt.setSubject(sub)).sign(key);
  };
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), alg: 'ES256' }] });
    byToken = authenticator({ jwt: { keys, issuer: 'iss', audience: 'aud', principalClaim: 'sub', operatorRole: 'ledger:operator' } });
  });

  test('the operator role may come in scope, scp or roles', async () => {
    for (const claims of [{ scope: 'read ledger:operator' }, { scp: ['ledger:operator'] }, { roles: ['ledger:operator'] }]) {
      expect(await byToken(call({ authorization: `Bearer ${await sign(claims, 'ops')}` }))).toEqual({ id: 'ops', method: 'jwt', operator: true });
    }
    expect(await byToken(call({ authorization: `bearer ${await sign({ scope: 'ledger:operatorx' }, 'ann')}` }))).toMatchObject({ operator: false });
  });

  test('a token without the principal claim, or a header that is no bearer token, is UNAUTHENTICATED', async () => {
    await expect(byToken(call({ authorization: `Bearer ${await sign({})}` }))).rejects.toThrow(/'sub' claim/);
    await expect(byToken(call({ authorization: 'Bearer' }))).rejects.toThrow(/not 'Bearer <JWT>'/);
    await expect(byToken(call({ authorization: 'Bearer not.a.jwt' }))).rejects.toThrow(Unauthenticated);
  });
});
