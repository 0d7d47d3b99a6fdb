import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AccessDeniedError } from '@eventstore/db-client';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configSecrets, esdbConnectionString, loadConfig, redisConnectionUrl } from '../../src/config.js';
import { spawnListening, type ChildServer } from '../../src/embedded/child-server.js';
import { freePort } from '../../src/embedded/free-port.js';
import { checkEventStoreCredentials, connectEventStore } from '../../src/eventstore/connection.js';
import { startEsdbServer } from '../../src/esdb-server/index.js';
import { openRedis } from '../../src/jobs/redis-connection.js';
import { createLogger, type Logger } from '../../src/observability/index.js';

// Issue 13: no secret in any log line. Each secret goes through a real failure
// of the library that holds it, and the error is logged the way Ledger logs
// errors, plus everything the library attached to it, as a careless line would.
const RIGHT_REDIS_PASSWORD = 'the-right-redis-password-1';
const WRONG_REDIS_PASSWORD = 'w"rong\\redis pass/2';
const MONGO_PASSWORD = 'mongo-s3cret-pw';
const ESDB_PASSWORD = 'esdb-s3cret-pw';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

let dir: string;
let redis: ChildServer;
let redisPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-redaction-'));
  redisPort = await freePort();
  redis = await spawnListening('redis-server', [
    '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--requirepass', RIGHT_REDIS_PASSWORD,
  ], redisPort);
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function capturedLogger(env: Record<string, string>): { logger: Logger; text: () => string; lines: () => unknown[] } {
  const chunks: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
  const config = loadConfig(env);
  const logger = createLogger({ service: 'jobs', level: 'info', destination, secrets: configSecrets(config) });
  return { logger, text: () => chunks.join(''), lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as unknown) };
}

/** The error as Ledger logs it (err) and every enumerable field the library put on it (raw). */
const everything = (e: Error): Record<string, unknown> => ({ err: e, raw: { ...e, message: e.message } });

describe('no secret in any log line', () => {
  test('a wrong Redis password (REDIS_PASSWORD folded into REDIS_URL): the AUTH arguments ioredis attaches never reach the log', async () => {
    const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, REDIS_PASSWORD: WRONG_REDIS_PASSWORD };
    const { logger, text, lines } = capturedLogger(env);
    const url = redisConnectionUrl(loadConfig(env)) ?? '';
    const client = openRedis(url);
    const refused = await new Promise<Error>((resolve) => client.once('error', resolve));
    client.disconnect();
    expect(JSON.stringify({ ...refused })).toContain('auth'); // ioredis did attach the AUTH command
    logger.error({ ...everything(refused), url }, 'job queue error');
    logger.child({ part: 'jobs' }).error({ connection: url }, 'job queue error');

    expect(lines()).toHaveLength(2);
    expect(text()).toMatch(/WRONGPASS|invalid username-password/);
    for (const form of [WRONG_REDIS_PASSWORD, JSON.stringify(WRONG_REDIS_PASSWORD).slice(1, -1), encodeURIComponent(WRONG_REDIS_PASSWORD)]) {
      expect(text()).not.toContain(form);
    }
    expect(text()).toContain(`redis://:[redacted]@127.0.0.1:${redisPort}`);
  });

  test('a Mongo URL with credentials that cannot be reached: the password is not in the error line', async () => {
    const mongoUrl = `mongodb://ledger:${MONGO_PASSWORD}@127.0.0.1:${await freePort()}/?serverSelectionTimeoutMS=300`;
    const { logger, text } = capturedLogger({ MONGO_URL: mongoUrl, MONGO_USERNAME: 'ledger', MONGO_PASSWORD });
    const failed = await MongoClient.connect(mongoUrl).then(
      (c) => c.close().then(() => new Error('connected')),
      (e: unknown) => e as Error,
    );
    expect(failed.name).toMatch(/Mongo/);
    logger.error({ ...everything(failed), url: mongoUrl }, 'read model unavailable');
    expect(text()).toContain('read model unavailable');
    expect(text()).not.toContain(MONGO_PASSWORD);
  });

  test('an ESDB connection string with a password that cannot connect: the password is not in the error line', async () => {
    const env = { ESDB_URL: `esdb://127.0.0.1:${await freePort()}?tls=false`, ESDB_USERNAME: 'admin', ESDB_PASSWORD };
    const url = esdbConnectionString(loadConfig(env)) ?? '';
    expect(url).toContain(ESDB_PASSWORD);
    const { logger, text } = capturedLogger(env);
    const esdb = connectEventStore(url);
    const failed = await (async () => {
      try {
        for await (const _ of esdb.client.readStream('account-none', { deadline: 2_000 })) break;
        return new Error('read');
      } catch (e) {
        return e as Error;
      }
    })();
    await esdb.close();
    logger.error({ ...everything(failed), url }, 'event store unavailable');
    expect(text()).toContain('event store unavailable');
    expect(text()).not.toContain(ESDB_PASSWORD);
  });

  test('an ESDB password a secure event store refuses (UNAUTHENTICATED): neither the client error nor Ledger\'s start check carries it into the log', async () => {
    const esdbServer = await startEsdbServer({ port: 0, memory: true, secure: { tls: { devCertsDir: join(dir, 'esdb-certs') } } });
    try {
      const env = { ESDB_URL: `esdb://127.0.0.1:${esdbServer.port}?tls=true`, ESDB_TLS_CA_FILE: esdbServer.caFile ?? '', ESDB_USERNAME: 'admin', ESDB_PASSWORD };
      const url = esdbConnectionString(loadConfig(env)) ?? '';
      expect(url).toContain(ESDB_PASSWORD);
      const { logger, text } = capturedLogger(env);
      const esdb = connectEventStore(url);
      const refused = await (async () => {
        try {
          for await (const _ of esdb.client.readStream('account-none')) break;
          return new Error('read');
        } catch (e) {
          return e as Error;
        }
      })();
      await esdb.close();
      expect(refused).toBeInstanceOf(AccessDeniedError);
      expect(refused.message).toMatch(/UNAUTHENTICATED/);
      const startCheck = await checkEventStoreCredentials(url).then(() => new Error('accepted'), (e: unknown) => e as Error);
      expect(startCheck.name).toBe('EventStoreCredentialsRefused');
      logger.error({ ...everything(refused), url }, 'event store refused the credentials');
      logger.fatal({ err: startCheck, url }, 'api start failed');
      expect(text()).toContain('event store refused the credentials');
      expect(text()).toContain("ESDB_USERNAME 'admin'");
      for (const form of [ESDB_PASSWORD, Buffer.from(`admin:${ESDB_PASSWORD}`).toString('base64')]) expect(text()).not.toContain(form);
    } finally {
      await esdbServer.stop();
    }
  });

  test('a bearer token, a bare JWT and the admin token are redacted wherever they appear', () => {
    const { logger, text } = capturedLogger({ ADMIN_TOKEN });
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJlLWJ5dGVz';
    logger.warn({ call: { metadata: { authorization: `Bearer ${jwt}` } }, echoed: `got ${jwt}`, detail: `token=${ADMIN_TOKEN}` }, 'refused');
    expect(text()).toContain('refused');
    expect(text()).not.toContain('eyJzdWIiOiJhbm4ifQ');
    expect(text()).not.toContain(ADMIN_TOKEN);
  });
});
