import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedServer, type EmbeddedServerOptions } from './supervised-server.js';

/** A supervised redis-server; `url` follows restarts. */
export type EmbeddedRedis = SupervisedServer;

/**
 * Starts Debian's redis-server on a loopback port, supervised
 * (supervised-server.ts). Persistence is on (AOF, fsync every second) so a
 * restart with the same dataDir keeps the queues, as a production Redis
 * behind BullMQ should.
 */
export async function startRedis(opts: EmbeddedServerOptions = {}): Promise<EmbeddedRedis> {
  const { dataDir, ...rest } = opts;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-redis-'));
  return SupervisedServer.start({
    ...rest,
    name: 'redis',
    command: 'redis-server',
    dataDir: dir,
    removeDataDirOnStop: dataDir === undefined,
    args: (port) => [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--loglevel', 'warning',
    ],
    url: (port) => `redis://127.0.0.1:${port}`,
  });
}
