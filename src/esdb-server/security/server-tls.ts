import { readFileSync } from 'node:fs';

/** The node's certificate chain and key (PEM files), and optionally a CA bundle for client certificates. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** The real node's `--trusted-root-certificates-path`; client certificates are asked for but not required. */
  readonly caFile?: string;
}

/** The node's certificate, key and CA as PEM; a missing or unreadable file stops the start with its path named. */
export const readTlsFiles = (tls: TlsFiles): { cert: Buffer; key: Buffer; ca?: Buffer } => {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${what} ${path}: ${(e as Error).message}`);
    }
  };
  const cert = read('--tls-cert', tls.certFile);
  const key = read('--tls-key', tls.keyFile);
  return tls.caFile === undefined ? { cert, key } : { cert, key, ca: read('--tls-ca', tls.caFile) };
};
