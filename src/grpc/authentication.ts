import type { Metadata } from '@grpc/grpc-js';
import { errors as jose, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Principal } from '../app/principal.js';
import { LedgerError } from '../domain/index.js';

/** What is read of a verified client certificate (node:tls's PeerCertificate has both). */
export type ClientCertificate = {
  /** Node's parsed subject; a repeated attribute is a list. */
  readonly subject?: { readonly CN?: unknown };
  /** Node's rendering of the SAN extension: "DNS:a, URI:b". */
  readonly subjectaltname?: string | undefined;
};

/** What a call offers as credentials: its metadata and, over TLS, the verified client certificate. */
export type CallCredentials = {
  readonly metadata: Metadata;
  /** grpc-js's auth context: a peer certificate only when it verified against the client CA. */
  getAuthContext(): { readonly sslPeerCertificate?: ClientCertificate | undefined } | null;
};

/** Turns a call's credentials into a principal, or throws Unauthenticated (issue 13). */
export type Authenticate = (call: CallCredentials) => Promise<Principal>;

/** Missing, malformed, expired or untrusted credentials: UNAUTHENTICATED, and the call does nothing. */
export class Unauthenticated extends LedgerError {
  override readonly name = 'Unauthenticated';
  readonly kind = 'unauthenticated';
  readonly reason = 'UNAUTHENTICATED';
}

/** The JWKS could not be fetched: the token may be fine, so UNAVAILABLE (retry), not UNAUTHENTICATED. */
export class AuthenticationUnavailable extends LedgerError {
  override readonly name = 'AuthenticationUnavailable';
  readonly kind = 'unavailable';
  readonly reason = 'AUTH_UNAVAILABLE';
}

export type JwtAuthentication = {
  /** The verification keys: jose's createRemoteJWKSet (AUTH_JWKS_URL) or createLocalJWKSet (AUTH_JWKS_FILE). */
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  /** The claim holding the principal, compared with owner_id (AUTH_JWT_PRINCIPAL_CLAIM, default sub). */
  readonly principalClaim: string;
  /** The operator role, looked for in the scope/scp and roles claims (AUTH_OPERATOR_ROLE). */
  readonly operatorRole: string;
};

export type MtlsAuthentication = {
  /** cn: the subject's common name; san: the first URI, else DNS, else email subject alternative name. */
  readonly principalFrom: 'cn' | 'san';
  /** Principals that hold the operator role (AUTH_MTLS_OPERATORS). */
  readonly operators: ReadonlySet<string>;
};

/** Longest principal accepted: owner_id's own limit (command-requests.ts). */
const MAX_PRINCIPAL = 128;
/** Allowed clock skew between the token issuer and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * AUTH_MODE jwt, mtls, or both (jwt,mtls): a call with an `authorization:
 * Bearer` header is judged by its token alone; otherwise, when mTLS is on, by
 * its client certificate. The token is never logged nor echoed back.
 */
export function authenticator(modes: { readonly jwt?: JwtAuthentication; readonly mtls?: MtlsAuthentication }): Authenticate {
  const { jwt, mtls } = modes;
  if (jwt === undefined && mtls === undefined) throw new Error('authenticator needs jwt, mtls or both');
  const missing = jwt && mtls
    ? "no credentials: send 'authorization: Bearer <JWT>' metadata or a client certificate signed by the configured CA"
    : jwt
      ? "no credentials: send 'authorization: Bearer <JWT>' metadata"
      : 'no client certificate signed by the configured CA (GRPC_TLS_CLIENT_CA_FILE) was presented';
  return async (call) => {
    const header = call.metadata.get('authorization')[0];
    if (jwt && header !== undefined) return verifyBearer(jwt, typeof header === 'string' ? header : header.toString('utf8'));
    const certificate = mtls ? call.getAuthContext()?.sslPeerCertificate : undefined;
    if (mtls && certificate) return certificatePrincipal(mtls, certificate);
    throw new Unauthenticated(missing);
  };
}

async function verifyBearer(jwt: JwtAuthentication, header: string): Promise<Principal> {
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) throw new Unauthenticated("the authorization metadata is not 'Bearer <JWT>'");
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwt.keys, { issuer: jwt.issuer, audience: jwt.audience, clockTolerance: CLOCK_TOLERANCE_SECONDS }));
  } catch (e) {
    throw tokenRefused(e);
  }
  const id = payload[jwt.principalClaim];
  if (typeof id !== 'string' || id === '' || id.length > MAX_PRINCIPAL)
    throw new Unauthenticated(`invalid bearer token: the '${jwt.principalClaim}' claim must be a string of 1 to ${MAX_PRINCIPAL} characters`);
  return { id, method: 'jwt', operator: roles(payload).includes(jwt.operatorRole) };
}

/** jose's failure → a message that says what was wrong with the token, never the token itself. */
function tokenRefused(e: unknown): LedgerError {
  if (e instanceof jose.JWKSTimeout || !(e instanceof jose.JOSEError)) {
    // fetch's own failure (JWKS URL unreachable) or a timeout: not the caller's fault.
    return new AuthenticationUnavailable(`the token's signing keys could not be fetched: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (e instanceof jose.JWTExpired) return new Unauthenticated('invalid bearer token: expired');
  if (e instanceof jose.JWTClaimValidationFailed) return new Unauthenticated(`invalid bearer token: claim '${e.claim}' ${e.reason === 'missing' ? 'missing' : 'rejected'} (${e.message})`);
  if (e instanceof jose.JWSSignatureVerificationFailed || e instanceof jose.JWKSNoMatchingKey)
    return new Unauthenticated('invalid bearer token: not signed by a key of the configured JWKS');
  return new Unauthenticated(`invalid bearer token: ${e.message}`);
}

/** scope and scp (a space-separated string or a list) and roles (a list): the usual places for a role. */
function roles(payload: JWTPayload): string[] {
  const list = (v: unknown): string[] =>
    typeof v === 'string' ? v.split(' ').filter((s) => s !== '') : Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
  return [...list(payload['scope']), ...list(payload['scp']), ...list(payload['roles'])];
}

function certificatePrincipal(mtls: MtlsAuthentication, certificate: ClientCertificate): Principal {
  const id = mtls.principalFrom === 'cn' ? commonName(certificate) : alternativeName(certificate);
  if (id === undefined || id === '' || id.length > MAX_PRINCIPAL)
    throw new Unauthenticated(`the client certificate has no usable ${mtls.principalFrom === 'cn' ? 'subject CN' : 'URI, DNS or email subject alternative name'}`);
  return { id, method: 'mtls', operator: mtls.operators.has(id) };
}

function commonName(certificate: ClientCertificate): string | undefined {
  // A repeated CN (a list) names no single principal.
  const cn = certificate.subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}

/** Node's subjectaltname string ("DNS:a, URI:b"); a value holding a comma or quote is JSON-quoted by Node. */
function alternativeName(certificate: ClientCertificate): string | undefined {
  const entries = (certificate.subjectaltname ?? '').split(/, (?=[A-Za-z ]+:)/).map((entry) => {
    const colon = entry.indexOf(':');
    const raw = entry.slice(colon + 1);
    return { kind: entry.slice(0, colon), value: raw.startsWith('"') ? (JSON.parse(raw) as string) : raw };
  });
  for (const kind of ['URI', 'DNS', 'email']) {
    const found = entries.find((e) => e.kind === kind);
    if (found) return found.value;
  }
  return undefined;
}
