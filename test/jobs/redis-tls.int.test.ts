import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { spawnListening, type ChildServer } from '../../src/embedded/child-server.js';
import { freePort } from '../../src/embedded/free-port.js';
import { loadConfig, redisTlsOptions } from '../../src/config.js';
import { RebuildJobs } from '../../src/jobs/rebuild-jobs.js';
import { SnapshotJobs } from '../../src/jobs/snapshot-jobs.js';
import { openRedis } from '../../src/jobs/redis-connection.js';

// A redis-server that speaks only TLS, with a certificate from a CA of our own (as a private-CA Redis would).
let dir: string;
let redis: ChildServer;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-redis-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=ledger test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '1', '-extfile', 'san.ext');
  const port = await freePort();
  redis = await spawnListening('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--tls-cert-file', join(dir, 'redis.crt'), '--tls-key-file', join(dir, 'redis.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'),
    '--tls-auth-clients', 'no',
  ], port);
  url = `rediss://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('REDIS_TLS_CA_FILE reaches the job queues: with it they talk to a private-CA Redis, without it they are refused', async () => {
  const config = loadConfig({ REDIS_URL: url, REDIS_TLS_CA_FILE: join(dir, 'ca.crt'), MONGO_URL: 'mongodb://unused:27017' });
  const redisTls = redisTlsOptions(config, readFileSync);
  expect(redisTls).toBeDefined();

  const rebuilds = new RebuildJobs(url, redisTls);
  const started = await rebuilds.start('account_summaries');
  expect(started.started).toBe(true);
  expect((await rebuilds.get(started.rebuild.id))?.projection).toBe('account_summaries');
  await rebuilds.close();

  const snapshots = new SnapshotJobs({ redisUrl: url, ...(redisTls ? { redisTls } : {}), every: 100 });
  await snapshots.enqueue({ accountId: 'a-1', revision: 100 });
  await snapshots.close();

  // The same connection without the CA: the server's certificate is not trusted.
  const untrusting = openRedis(url);
  const refused = await new Promise<Error>((resolve) => untrusting.once('error', resolve));
  untrusting.disconnect();
  expect(refused.message).toMatch(/certificate/);
}, 60_000);
