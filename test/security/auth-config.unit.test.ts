import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { apiAuthentication } from '../../src/grpc/api-authentication.js';

const noFiles = (path: string): Buffer => {
  throw new Error(`unexpected read of ${path}`);
};
const jwt = { AUTH_MODE: 'jwt', AUTH_JWKS_URL: 'https://idp.test/jwks.json', AUTH_JWT_ISSUER: 'https://idp.test/', AUTH_JWT_AUDIENCE: 'ledger-api' };

describe('AUTH_MODE configuration (issue 13)', () => {
  test('npm start and tests default to none, which is warned about at start', () => {
    const config = loadConfig({});
    expect(config.AUTH_MODE).toBe('none');
    const auth = apiAuthentication(config, noFiles);
    expect(auth.authenticate).toBeUndefined();
    expect(auth.warnings.join()).toMatch(/AUTH_MODE=none.*every caller may act on every account/);
  });

  test('jwt needs one key source, an issuer and an audience', () => {
    expect(() => loadConfig({ AUTH_MODE: 'jwt' })).toThrow(/AUTH_JWKS_URL or AUTH_JWKS_FILE[\s\S]*AUTH_JWT_ISSUER[\s\S]*AUTH_JWT_AUDIENCE/);
    expect(() => loadConfig({ ...jwt, AUTH_JWKS_FILE: '/etc/passwd' })).toThrow(/exactly one/);
    expect(() => loadConfig({ ...jwt, AUTH_JWKS_URL: undefined, AUTH_JWKS_FILE: '/no/such/jwks.json' })).toThrow(/AUTH_JWKS_FILE: file not found/);
  });

  test('jwt over plaintext authenticates, with a warning that tokens can be read on the network', () => {
    const auth = apiAuthentication(loadConfig(jwt), noFiles);
    expect(auth.authenticate).toBeDefined();
    expect(auth.warnings.join()).toMatch(/plaintext/);
  });

  test('mtls needs the client CA; operators are a list of principals', () => {
    expect(() => loadConfig({ AUTH_MODE: 'mtls' })).toThrow(/GRPC_TLS_CLIENT_CA_FILE: required when AUTH_MODE=mtls/);
    expect(loadConfig({ AUTH_MTLS_OPERATORS: ' ops-1, ops-2 ,' }).AUTH_MTLS_OPERATORS).toEqual(['ops-1', 'ops-2']);
  });
});
