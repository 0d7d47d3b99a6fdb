import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * Throwaway credentials for tests that start Ledger authenticated (issue 13),
 * written into `dir`: a CA (ca.crt/.key), a server certificate for localhost
 * and 127.0.0.1 (server.crt/.key), and one client certificate per name
 * (<name>.crt/.key, subject CN=<name>), all made with openssl.
 */
export function makeCertificates(dir: string, clients: readonly string[]): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=ledger test CA');
  const signed = (name: string, subject: string, san: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  signed('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  for (const name of clients) signed(name, `/CN=${name}`, `URI:spiffe://ledger.test/${name}`);
}

export type TokenIssuer = {
  /** The JWKS file Ledger reads (AUTH_JWKS_FILE). */
  readonly jwksFile: string;
  readonly issuer: string;
  readonly audience: string;
  /** A token for `sub`, valid for ten minutes, with `scope` when given. */
  token(sub: string, scope?: string): Promise<string>;
};

/** An identity provider in a file: an ES256 key whose public half is `dir`/jwks.json. */
export async function makeTokenIssuer(dir: string): Promise<TokenIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' }] }));
  const issuer = 'https://idp.ledger.test/';
  const audience = 'ledger-api';
  return {
    jwksFile,
    issuer,
    audience,
    token: (sub, scope) =>
      new SignJWT(scope === undefined ? {} : { scope })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
        .setSubject(sub)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
  };
}
