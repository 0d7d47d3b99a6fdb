import pino from 'pino';
import { CommandHandler } from '../../src/app/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { LedgerClient } from './ledger-client.js';

export type ApiUnderTest = {
  readonly clients: LedgerClient[];
  /** A client of the event store, to check what was (not) appended. */
  readonly esdb: EventStoreConnection;
  stop(): Promise<void>;
};

/**
 * The real thing, small: an event store (embedded unless ESDB_URL), `servers`
 * API servers on it (each its own handler and cache, like separate processes),
 * and one gRPC client per server.
 */
export async function startApiUnderTest(opts: { servers?: number; maxMessageBytes?: number } = {}): Promise<ApiUnderTest> {
  const backends: TestBackends = await startTestBackends(['esdb']);
  const url = backends.urls.esdb;
  if (url === undefined) throw new Error('no event store');
  const esdb = connectEventStore(url);
  const connections: EventStoreConnection[] = [];
  const servers: ApiServer[] = [];
  const clients: LedgerClient[] = [];
  for (let i = 0; i < (opts.servers ?? 1); i++) {
    const connection = connectEventStore(url);
    const store = new EsdbAccountEventStore(connection.client);
    const server = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      maxMessageBytes: opts.maxMessageBytes ?? 64 * 1024,
      handler: new CommandHandler({ store, maxRetries: 50 }),
      store,
      logger: pino({ level: 'silent' }),
    });
    connections.push(connection);
    servers.push(server);
    clients.push(new LedgerClient(`127.0.0.1:${server.port}`));
  }
  return {
    clients,
    esdb,
    stop: async () => {
      clients.forEach((c) => c.close());
      await Promise.all(servers.map((s) => s.close()));
      await Promise.all([...connections, esdb].map((c) => c.close()));
      await backends.stop();
    },
  };
}
