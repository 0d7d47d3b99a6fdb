import { randomUUID } from 'node:crypto';
import { connect, jsonEvent, type EventStoreDBClient, type ResolvedEvent } from './client-under-test.js';
import { startServerUnderTest, type ServerUnderTest, type ServerUnderTestOptions } from './server-under-test.js';

/** A memory-only server and a client on it (the client under test), for one test file. */
export interface EsdbFixture {
  readonly server: ServerUnderTest;
  readonly client: EventStoreDBClient;
  close(): Promise<void>;
}

/** `opts` adds to a memory-only server's options, e.g. `{ systemProjections: true }` for `$ce-`/`$et-` links. */
export const startFixture = async (opts: ServerUnderTestOptions = {}): Promise<EsdbFixture> => {
  const server = await startServerUnderTest(opts);
  const client = connect(server.connectionString);
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
