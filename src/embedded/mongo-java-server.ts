import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedServer, type EmbeddedServerOptions } from './supervised-server.js';
import type { EmbeddedMongo } from './ferretdb.js';

/** Where `deploy/dev/install-mongo-java-server.sh` puts the jars and the launcher. */
export function mongoJavaServerHome(): string {
  const base = process.env['LEDGER_TOOLS_DIR'] ?? join(process.env['XDG_DATA_HOME'] ?? join(homedir(), '.local', 'share'), 'ledger');
  const home = join(base, 'mongo-java-server');
  if (!existsSync(join(home, 'classes', 'MongoWireServer.class'))) {
    throw new Error(`mongo-java-server not found in ${home}: run deploy/dev/install-mongo-java-server.sh`);
  }
  return home;
}

/**
 * Starts mongo-java-server (Maven Central, memory backend) on a loopback
 * port, supervised (supervised-server.ts). It keeps documents in memory only,
 * so a start or restart comes up empty: the read side fills it from the event
 * store before it answers (workers/read-side-seed.ts). The data directory
 * holds just its pid file.
 */
export async function startMongoJavaServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedMongo> {
  const home = mongoJavaServerHome();
  const { dataDir, ...rest } = opts;
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-mongo-java-server-'));
  return SupervisedServer.start({
    ...rest,
    name: 'mongo',
    command: 'java',
    dataDir: dir,
    removeDataDirOnStop: dataDir === undefined,
    args: (port) => [
      // The parallel collector keeps pauses short on its many small BSON
      // objects; the heap grows with the read model (bench/read-side.ts saw
      // the JVM reach 2.2-2.4 GiB resident for 210,000 documents).
      '-XX:+UseParallelGC', '-Xms256m',
      '-cp', `${join(home, 'classes')}:${join(home, 'lib', '*')}`,
      'MongoWireServer', String(port), 'memory',
    ],
    url: (port) => `mongodb://127.0.0.1:${port}/`,
  });
}
