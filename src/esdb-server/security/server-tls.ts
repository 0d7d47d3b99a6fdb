import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/** The node's certificate chain and key (PEM files), and optionally a CA bundle for client certificates. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The real node's `--trusted-root-certificates-path`; client certificates are asked for but not required. */
  readonly caFile?: string;
}

/** Server credentials for a secure node; a missing or unreadable file stops the start with its path named. */
export const serverCredentials = (tls: TlsFiles): grpc.ServerCredentials => {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${what} ${path}: ${(e as Error).message}`);
    }
  };
  const cert = read('--tls-cert', tls.certFile);
  const key = read('--tls-key', tls.keyFile);
  const ca = tls.caFile === undefined ? null : read('--tls-ca', tls.caFile);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], false);
};
