import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';

export interface NodeCertificate {
  /** PEM files: the node's certificate and key, and the CA that signed it (what clients trust: `tlsCAFile`). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

const openssl = (args: readonly string[], cwd: string): void => {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? '--dev-certs needs the openssl command (apt-get install openssl)' : `--dev-certs: openssl ${args[0] ?? ''} failed in ${cwd}: ${(e as Error).message}`);
  }
};

/**
 * A development CA and a node certificate it signed, as the real
 * `es-gencert-cli create-ca` / `create-node` make them, with OpenSSL: P-256
 * keys, the node's subject alternative names `localhost`, 127.0.0.1, ::1
 * and the given host. Kept in `dir` and reused while all four files are
 * there, so clients that trust the CA keep working across restarts.
 */
export const ensureDevCertificates = (dir: string, host: string): NodeCertificate => {
  const at = resolve(dir);
  const files = { caFile: join(at, 'ca.crt'), caKey: join(at, 'ca.key'), certFile: join(at, 'node.crt'), keyFile: join(at, 'node.key') };
  const cert: NodeCertificate = { certFile: files.certFile, keyFile: files.keyFile, caFile: files.caFile };
  if ([files.caFile, files.caKey, files.certFile, files.keyFile].every((f) => existsSync(f))) return cert;
  mkdirSync(at, { recursive: true, mode: 0o700 });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=ledger-esdb dev CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], at);
  openssl(['req', ...key, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=eventstoredb-node'], at);
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  if (host !== '' && host !== '0.0.0.0' && host !== '::') names.add(isIP(host) === 0 ? `DNS:${host}` : `IP:${host}`);
  writeFileSync(join(at, 'node.ext'), `subjectAltName=${[...names].join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  openssl(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}`,
    '-days', '825', '-out', 'node.crt', '-extfile', 'node.ext'], at);
  rmSync(join(at, 'node.csr'));
  rmSync(join(at, 'node.ext'));
  return cert;
};
