import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedServer, type EmbeddedServerOptions } from './supervised-server.js';

/** A supervised Mongo-wire server; `url` follows restarts. */
export type EmbeddedMongo = SupervisedServer;

/** Where `deploy/dev/install-ferretdb.sh` puts the binary. */
export function ferretdbBinary(): string {
  const gopath = (() => {
    try { return execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(); }
    catch { return join(process.env['HOME'] ?? '/root', 'go'); }
  })();
  const bin = join(gopath, 'bin', 'ferretdb');
  if (!existsSync(bin)) throw new Error(`FerretDB not found at ${bin}: run deploy/dev/install-ferretdb.sh`);
  return bin;
}

/**
 * Starts FerretDB (a real Mongo-wire server on SQLite) on a loopback port,
 * supervised (supervised-server.ts). With no dataDir it uses a fresh
 * temporary one, removed on stop.
 */
export async function startFerretDb(opts: EmbeddedServerOptions = {}): Promise<EmbeddedMongo> {
  const { dataDir, ...rest } = opts;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-ferretdb-'));
  return SupervisedServer.start({
    ...rest,
    name: 'mongo',
    command: ferretdbBinary(),
    dataDir: dir,
    removeDataDirOnStop: dataDir === undefined,
    args: (port) => [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=ERROR',
    ],
    url: (port) => `mongodb://127.0.0.1:${port}/`,
  });
}
