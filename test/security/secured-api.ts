import { readFileSync } from 'node:fs';
import type { ChannelCredentials } from '@grpc/grpc-js';
import pino from 'pino';
import { Registry } from 'prom-client';
import { CommandHandler } from '../../src/app/index.js';
import { loadConfig } from '../../src/config.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import type { AccountReadModelQueries } from '../../src/grpc/account-queries-service.js';
import { apiAuthentication } from '../../src/grpc/api-authentication.js';
import { startApiServer, type ApiServer } from '../../src/grpc/server.js';
import { apiServerCredentials } from '../../src/grpc/server-tls.js';
import { createMetrics } from '../../src/observability/index.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { LedgerClient } from '../commands/ledger-client.js';

export type SecuredApi = {
  readonly address: string;
  /** A client of the event store, to check what was (not) appended. */
  readonly esdb: EventStoreConnection;
  /** What the start-up said (the AUTH_MODE=none warning). */
  readonly warnings: readonly string[];
  /** The server's Prometheus text, as /metrics would serve it. */
  scrape(): Promise<string>;
  client(channelCredentials?: ChannelCredentials): LedgerClient;
  stop(): Promise<void>;
};

/**
 * A real event store and one API server wired from `env` exactly as
 * workers/api.ts wires it (loadConfig → apiAuthentication → credentials),
 * with an optional read model so the list queries answer.
 */
export async function startSecuredApi(env: Record<string, string>, readModel?: AccountReadModelQueries): Promise<SecuredApi> {
  const backends: TestBackends = await startTestBackends(['esdb']);
  const url = backends.urls.esdb;
  if (url === undefined) throw new Error('no event store');
  const config = loadConfig(env);
  const auth = apiAuthentication(config, readFileSync);
  const metrics = createMetrics(new Registry());
  const esdb = connectEventStore(url);
  const connection = connectEventStore(url);
  const store = new EsdbAccountEventStore(connection.client);
  const server: ApiServer = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    maxMessageBytes: 64 * 1024,
    handler: new CommandHandler({ store, maxRetries: 10 }),
    store,
    logger: pino({ level: 'silent' }),
    metrics,
    credentials: apiServerCredentials(auth.tls, auth.clientCertificates),
    ...(auth.authenticate ? { authenticate: auth.authenticate } : {}),
    ...(readModel ? { readModel } : {}),
  });
  const clients: LedgerClient[] = [];
  const address = `localhost:${server.port}`;
  return {
    address,
    esdb,
    warnings: auth.warnings,
    scrape: () => metrics.registry.metrics(),
    client: (channelCredentials) => {
      const c = new LedgerClient(address, channelCredentials);
      clients.push(c);
      return c;
    },
    stop: async () => {
      clients.forEach((c) => c.close());
      await server.close();
      await Promise.all([connection.close(), esdb.close()]);
      await backends.stop();
    },
  };
}
