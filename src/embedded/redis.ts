import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { spawnListening, type ChildServer } from './child-server.js';

export interface EmbeddedRedis extends ChildServer {
  readonly url: string;
}

/**
 * Starts Debian's redis-server on a free loopback port. Persistence is on
 * (AOF, fsync every second) so a restart with the same dataDir keeps the queues,
 * as a production Redis behind BullMQ should.
 */
export async function startRedis(opts: { dataDir?: string; port?: number } = {}): Promise<EmbeddedRedis> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-redis-'));
  const server = await spawnListening('redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--loglevel', 'warning',
  ], port);
  return {
    ...server,
    url: `redis://127.0.0.1:${port}`,
    stop: async (signal) => {
      await server.stop(signal);
      if (!opts.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
