import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnListening, type ChildServer } from './child-server.js';

export interface EmbeddedMongo extends ChildServer {
  readonly url: string;
}

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
 * Starts FerretDB (a real Mongo-wire server on SQLite) on a free loopback port.
 * With no dataDir it uses a fresh temporary one, removed on stop.
 */
export async function startFerretDb(opts: { dataDir?: string; port?: number } = {}): Promise<EmbeddedMongo> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-ferretdb-'));
  const server = await spawnListening(ferretdbBinary(), [
    '--handler=sqlite',
    `--sqlite-url=file:${dir}/`,
    `--state-dir=${dir}`,
    `--listen-addr=127.0.0.1:${port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=ERROR',
  ], port);
  return {
    ...server,
    url: `mongodb://127.0.0.1:${port}/`,
    stop: async (signal) => {
      await server.stop(signal);
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
