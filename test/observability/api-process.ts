import { afterAll, beforeAll } from 'vitest';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';

export type ApiUnderTest = { readonly api: LedgerProcess; readonly client: LedgerClient };

/**
 * The api process as deployed (workers/api.ts) on an in-memory event store,
 * fresh for the calling test file (its metrics start from zero), with a
 * client; started before the file's tests and stopped after them.
 */
export function apiProcessForThisFile(): () => ApiUnderTest {
  let esdb: EsdbServer | undefined;
  let under: ApiUnderTest | undefined;
  beforeAll(async () => {
    esdb = await startEsdbServer({ port: 0, memory: true });
    const api = await ledgerProcess('api', { ESDB_URL: esdb.connectionString });
    await api.start();
    under = { api, client: new LedgerClient(api.address) };
  });
  afterAll(async () => {
    under?.client.close();
    await under?.api.stop();
    await esdb?.stop();
  });
  return () => {
    if (under === undefined) throw new Error('the api process is not started yet');
    return under;
  };
}
