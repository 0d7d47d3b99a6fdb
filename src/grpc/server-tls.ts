import type { SecureContextOptions } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';

export type ApiServerTls = {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client certificates must be signed by this CA (GRPC_TLS_CLIENT_CA_FILE). */
  readonly clientCa?: Buffer;
};

/**
 * The public API's transport credentials. With a client CA:
 *  - `handshake` (AUTH_MODE none or jwt): a client without a certificate from
 *    the CA is refused during the TLS handshake, as before issue 13;
 *  - `per-call` (AUTH_MODE mtls): the handshake asks for a certificate but
 *    lets the connection through, and each call is authenticated from the
 *    certificate grpc-js reports as verified (authentication.ts). A missing or
 *    untrusted certificate then answers UNAUTHENTICATED with a reason instead
 *    of an opaque connection failure, and health checks need no certificate.
 */
export function apiServerCredentials(tls: ApiServerTls | undefined, clientCertificates: 'handshake' | 'per-call'): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const pair = { cert_chain: tls.cert, private_key: tls.key };
  if (tls.clientCa === undefined || clientCertificates === 'handshake')
    return ServerCredentials.createSsl(tls.clientCa ?? null, [pair], tls.clientCa !== undefined);
  return new PerCallClientCertificates({ ca: tls.clientCa, cert: tls.cert, key: tls.key });
}

/**
 * grpc-js's createSsl ties asking for a certificate to refusing the handshake
 * without one; this asks (requestCert) without refusing (rejectUnauthorized:
 * false). grpc-js's getAuthContext() reports a peer certificate only when
 * the socket is `authorized`, i.e. the certificate verified against `ca`.
 */
class PerCallClientCertificates extends ServerCredentials {
  constructor(context: SecureContextOptions) {
    super({ requestCert: true, rejectUnauthorized: false }, context);
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
