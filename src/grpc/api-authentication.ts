import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet } from 'jose';
import { grpcServerTlsFiles, type Config } from '../config.js';
import { authenticator, type Authenticate } from './authentication.js';
import type { ApiServerTls } from './server-tls.js';

export type ApiAuthentication = {
  /** Undefined under AUTH_MODE=none: every caller is ANONYMOUS, an operator. */
  readonly authenticate?: Authenticate;
  readonly tls?: ApiServerTls;
  /** per-call under an mTLS mode (authentication.ts reads the certificate), else the handshake decides. */
  readonly clientCertificates: 'handshake' | 'per-call';
  /** Said once at start: what is wrong with this setup for production, if anything. */
  readonly warnings: readonly string[];
};

/** The public API's authentication from the config (issue 13); `readFile` is passed in for the JWKS and PEM files. */
export function apiAuthentication(c: Config, readFile: (path: string) => Buffer): ApiAuthentication {
  const files = grpcServerTlsFiles(c);
  const tls: ApiServerTls | undefined = files && {
    cert: readFile(files.certFile),
    key: readFile(files.keyFile),
    ...(files.clientCaFile === undefined ? {} : { clientCa: readFile(files.clientCaFile) }),
  };
  const warnings: string[] = [];
  if (c.AUTH_MODE === 'none')
    warnings.push('AUTH_MODE=none: the public API authenticates nobody and every caller may act on every account; use it only locally');
  else if (tls === undefined)
    warnings.push(`AUTH_MODE=${c.AUTH_MODE} over plaintext: bearer tokens can be read on the network; set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE`);
  const jwt = c.AUTH_MODE.includes('jwt') ? jwtAuthentication(c, readFile) : undefined;
  const mtls = c.AUTH_MODE.includes('mtls')
    ? { principalFrom: c.AUTH_MTLS_PRINCIPAL, operators: new Set(c.AUTH_MTLS_OPERATORS) }
    : undefined;
  return {
    ...(jwt || mtls ? { authenticate: authenticator({ ...(jwt ? { jwt } : {}), ...(mtls ? { mtls } : {}) }) } : {}),
    ...(tls ? { tls } : {}),
    clientCertificates: mtls ? 'per-call' : 'handshake',
    warnings,
  };
}

function jwtAuthentication(c: Config, readFile: (path: string) => Buffer) {
  // loadConfig checked that one key source, the issuer and the audience are set.
  const keys = c.AUTH_JWKS_URL !== undefined
    ? createRemoteJWKSet(new URL(c.AUTH_JWKS_URL))
    : createLocalJWKSet(JSON.parse(readFile(c.AUTH_JWKS_FILE ?? '').toString('utf8')) as JSONWebKeySet);
  return {
    keys,
    issuer: c.AUTH_JWT_ISSUER ?? '',
    audience: c.AUTH_JWT_AUDIENCE ?? '',
    principalClaim: c.AUTH_JWT_PRINCIPAL_CLAIM,
    operatorRole: c.AUTH_OPERATOR_ROLE,
  };
}
