import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { configSecrets, loadConfig } from '../../src/config.js';
import { spawnListening, type ChildServer } from '../../src/embedded/child-server.js';
import { freePort } from '../../src/embedded/free-port.js';
import { openRedis } from '../../src/jobs/redis-connection.js';
import { createLogger } from '../../src/observability/index.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { startJobsPart } from '../../workers/jobs.js';

// Issue 13: under npm start the jobs part used REDIS_URL as is, so a Redis
// that needs REDIS_PASSWORD answered NOAUTH forever and "ledger started" never came.
const PASSWORD = 'jobs-redis-password-42';
let dir: string;
let redis: ChildServer;
let port: number;
let backends: TestBackends;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-redis-auth-'));
  port = await freePort();
  redis = await spawnListening('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD,
  ], port);
  backends = await startTestBackends(['esdb', 'mongo']);
}, 120_000);
afterAll(async () => {
  await backends?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("npm start's jobs part reaches a Redis that needs REDIS_PASSWORD, and the password stays out of its log", async () => {
  const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PASSWORD: PASSWORD, ADMIN_PORT: '0', DATA_DIR: dir });
  const chunks: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
  const logger = createLogger({ service: 'ledger', level: 'debug', destination, secrets: configSecrets(config) });
  const { esdb, mongo } = backends.urls;
  if (esdb === undefined || mongo === undefined) throw new Error('no backends');
  const part = await startJobsPart(config, esdb, mongo, logger.child({ part: 'jobs' }));
  try {
    const client = openRedis(part.redisUrl);
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  } finally {
    await part.stop();
  }
  expect(chunks.join('')).not.toContain(PASSWORD);
}, 60_000);
