import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { startTestBackends } from '../support/backends.js';

describe('choosing the servers a suite runs against', () => {
  test('*_URL variables are used as given and nothing is started', async () => {
    const env = { ESDB_URL: 'esdb://db:2113?tls=false', MONGO_URL: 'mongodb://m:27017', REDIS_URL: 'redis://r:6379', LEDGER_TESTCONTAINERS: '1' };
    const backends = await startTestBackends(['esdb', 'mongo', 'redis'], env);
    expect(backends.urls).toEqual({ esdb: env.ESDB_URL, mongo: env.MONGO_URL, redis: env.REDIS_URL });
    expect(backends.sources).toEqual({ esdb: 'url', mongo: 'url', redis: 'url' });
    await backends.stop();
  });

  test('without a URL the embedded EventStoreDB-compatible server is started, and stopped', async () => {
    const backends = await startTestBackends(['esdb'], {});
    expect(backends.sources.esdb).toBe('embedded');
    expect(backends.urls.esdb).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
    await backends.stop();
  });

  test.skipIf(existsSync('/var/run/docker.sock'))('the testcontainers opt-in says why it cannot run here', async () => {
    await expect(startTestBackends(['redis'], { LEDGER_TESTCONTAINERS: '1' })).rejects.toThrow(/LEDGER_TESTCONTAINERS=1 but no Docker daemon/);
    await expect(startTestBackends(['redis'], { LEDGER_TESTCONTAINERS: '1', DOCKER_HOST: 'tcp://127.0.0.1:1' }))
      .rejects.toThrow(/testcontainers package cannot be loaded/);
  });
});
