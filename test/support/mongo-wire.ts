import { startFerretDb, startMongoJavaServer, type EmbeddedMongo } from '../../src/embedded/index.js';
import { readStoreProfile, type ReadStoreProfile } from '../../src/readmodels/read-store-profile.js';

/**
 * The Mongo-wire servers the read-model tests run on: the embedded default
 * (mongo-java-server in memory) and FerretDB on SQLite, each with the
 * profile Ledger uses for it. With MONGO_URL set, that server alone
 * (MONGO_SERVER says what it is, default mongodb).
 */
export type MongoWireKind = 'mongo-java-server' | 'ferretdb';
export const MONGO_WIRE_SERVERS: readonly MongoWireKind[] = process.env['MONGO_URL'] ? ['mongo-java-server'] : ['mongo-java-server', 'ferretdb'];

export type TestMongo = { readonly url: string; readonly profile: ReadStoreProfile; readonly server: EmbeddedMongo | undefined; stop(): Promise<void> };

export async function startTestMongo(kind: MongoWireKind = 'mongo-java-server', opts: { dataDir?: string; port?: number } = {}): Promise<TestMongo> {
  const external = process.env['MONGO_URL'];
  if (external) {
    const server = (process.env['MONGO_SERVER'] as ReadStoreProfile['server'] | undefined) ?? 'mongodb';
    return { url: external, profile: readStoreProfile(server), server: undefined, stop: async () => {} };
  }
  const server = kind === 'ferretdb' ? await startFerretDb(opts) : await startMongoJavaServer(opts);
  return { url: server.url, profile: readStoreProfile(kind), server, stop: () => server.stop() };
}
