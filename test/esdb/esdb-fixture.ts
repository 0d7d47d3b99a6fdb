import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent, type ResolvedEvent } from '@eventstore/db-client';
import { startEsdbServer, type EsdbServer, type EsdbServerOptions } from '../../src/esdb-server/index.js';

/** A memory-only server and a client on it, for one test file. */
export interface EsdbFixture {
  readonly server: EsdbServer;
  readonly client: EventStoreDBClient;
  close(): Promise<void>;
}

/** `opts` adds to a memory-only server's options, e.g. `{ systemProjections: true }` for `$ce-`/`$et-` links. */
export const startFixture = async (opts: Partial<EsdbServerOptions> = {}): Promise<EsdbFixture> => {
  const server = await startEsdbServer({ port: 0, memory: true, ...opts });
  const client = EventStoreDBClient.connectionString(server.connectionString);
  return {
    server,
    client,
    close: async () => {
      await client.dispose();
      await server.stop();
    },
  };
};

/** Credentials make the client use the unary Append RPC instead of BatchAppend. */
export const UNARY_APPEND = { credentials: { username: 'admin', password: 'changeit' } } as const;

export const uniqueStream = (prefix = 'test'): string => `${prefix}-${randomUUID().replace(/-/g, '')}`;

export const deposits = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => jsonEvent({ type: 'MoneyDeposited', data: { amount: from + i + 1 } }));

export const collect = async (source: AsyncIterable<ResolvedEvent>): Promise<ResolvedEvent[]> => {
  const out: ResolvedEvent[] = [];
  for await (const e of source) out.push(e);
  return out;
};
