/**
 * Starts the server the event-store suites talk to: in this process with
 * `@eventstore/db-client` (quick), in its own process (`ledger-esdb`, as a
 * user runs it) with `@kurrent/kurrentdb-client`, whose generated classes
 * must not share a process with the ones the server uses
 * (client-under-test.ts says why).
 */
import { clientName } from './client-under-test.js';
import { spawnServer } from './child-server.js';

export interface ServerUnderTest {
  /** e.g. `esdb://127.0.0.1:2113?tls=false` */
  readonly connectionString: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface ServerUnderTestOptions {
  /** The durable log's directory; memory only without one. */
  readonly dataDir?: string;
  /** Start the standard projections (`$ce-`/`$et-` links). */
  readonly systemProjections?: boolean;
}

export const startServerUnderTest = async (opts: ServerUnderTestOptions = {}): Promise<ServerUnderTest> => {
  const storage = opts.dataDir === undefined ? { memory: true } : { dataDir: opts.dataDir };
  if (clientName === 'eventstore') {
    // Imported here, not at the top: with the newer client it must not load at all.
    const { startEsdbServer } = await import('../../src/esdb-server/index.js');
    return startEsdbServer({ port: 0, systemProjections: opts.systemProjections ?? false, ...storage });
  }
  const child = await spawnServer([
    ...(opts.dataDir === undefined ? ['--memory'] : ['--data', opts.dataDir]),
    ...(opts.systemProjections === true ? ['--start-standard-projections'] : []),
  ]);
  const port = Number(new URL(child.connectionString.replace(/^esdb:/, 'http:')).port);
  return {
    connectionString: child.connectionString,
    port,
    stop: async () => {
      child.process.kill('SIGTERM');
      const code = await child.exited;
      if (code !== 0) throw new Error(`ledger-esdb exited with ${code}: ${child.stderr()}`);
    },
  };
};
