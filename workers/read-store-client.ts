import { MongoClient } from 'mongodb';
import { mongoSecurityOptions, type Config } from '../src/config.js';
import { readStoreProfileOf } from '../src/readmodels/read-store-profile.js';

/**
 * The one way Ledger's processes connect to the read store. Bounded waits: a
 * dead Mongo fails calls within seconds (the read side answers UNAVAILABLE),
 * it never hangs them; polling monitors notice a restarted server sooner.
 * Credentials and TLS apply to MONGO_URL only, never to the embedded server.
 */
export function connectReadStore(url: string, config: Config): Promise<MongoClient> {
  return MongoClient.connect(url, {
    serverSelectionTimeoutMS: 5_000,
    socketTimeoutMS: readStoreProfileOf(config).opTimeoutMs + 5_000,
    serverMonitoringMode: 'poll',
    heartbeatFrequencyMS: 2_000,
    ...(config.MONGO_URL === undefined ? {} : mongoSecurityOptions(config)),
  });
}
