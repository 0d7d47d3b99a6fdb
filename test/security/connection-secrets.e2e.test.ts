import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { START, StreamNotFoundError } from '@eventstore/db-client';
import type { MongoClient } from 'mongodb';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, redisConnectionUrl, redisTlsOptions } from '../../src/config.js';
import { spawnListening, type ChildServer } from '../../src/embedded/child-server.js';
import { ferretdbBinary } from '../../src/embedded/index.js';
import { freePort } from '../../src/embedded/free-port.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import { TransferStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { openRedis } from '../../src/jobs/redis-connection.js';
import { PROJECTIONS_COLLECTION } from '../../src/readmodels/projection-registry.js';
import { TRANSFERS_PROJECTION } from '../../src/readmodels/transfer-documents.js';
import { connectReadStore } from '../../workers/read-store-client.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';
import { npmStart, type NpmStart } from '../reliability/npm-start.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { makeCertificates } from './throwaway-credentials.js';

// Issue 13 (a): every MONGO_* and REDIS_* credential and TLS variable reaches
// its client, under the standalone workers and under npm start. The servers
// demand all of them: FerretDB on TLS only, verifying client certificates
// against its own CA, with SCRAM users (new auth); redis-server on TLS only
// with the default user off and one ACL user. The first test shows that a
// wrong value of any single variable is refused by them (each one is used);
// then the processes, given the right ones, must serve through both. The
// public API's GRPC_TLS_* files (server side) are on as well and checked the same way.
// (ESDB_USERNAME/PASSWORD/TLS_CA_FILE are tested with the event store's secure mode.)
const MONGO_USER = 'ledger-reader';
const MONGO_PASSWORD = 'mongo-pw-K2z9';
const REDIS_USER = 'ledger-jobs';
const REDIS_PASSWORD = 'redis-pw-Q7x4';
const MONGO_DB = 'ledger_secrets';
const ADMIN_TOKEN = 'connection-secrets-admin-token';

let dir: string;
let mongoServer: ChildServer;
let redisServer: ChildServer;
let backends: TestBackends;
let mongoUrl: string;
let redisUrl: string;
let esdbUrl: string;
/** The variables under test, right values; `other` holds a second CA's files for wrong ones. */
let secrets: Record<string, string>;
let other: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-secrets-'));
  const own = join(dir, 'own');
  other = join(dir, 'other');
  for (const d of [own, other]) {
    mkdirSync(d);
    makeCertificates(d, ['ledger']);
    // MONGO_TLS_CERT_KEY_FILE is one PEM holding the certificate and its key.
    writeFileSync(join(d, 'ledger.pem'), readFileSync(join(d, 'ledger.crt'), 'utf8') + readFileSync(join(d, 'ledger.key'), 'utf8'));
  }

  const mongoPort = await freePort();
  mkdirSync(join(dir, 'ferretdb'));
  mongoServer = await spawnListening(ferretdbBinary(), [
    '--handler=sqlite', `--sqlite-url=file:${join(dir, 'ferretdb')}/`, `--state-dir=${join(dir, 'ferretdb')}`,
    '--listen-addr=', `--listen-tls=127.0.0.1:${mongoPort}`,
    `--listen-tls-cert-file=${join(own, 'server.crt')}`, `--listen-tls-key-file=${join(own, 'server.key')}`, `--listen-tls-ca-file=${join(own, 'ca.crt')}`,
    '--test-enable-new-auth', '--setup-database=admin', `--setup-username=${MONGO_USER}`, `--setup-password=${MONGO_PASSWORD}`,
    '--debug-addr=-', '--telemetry=disable', '--log-level=ERROR',
  ], mongoPort);
  mongoUrl = `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`;

  const redisPort = await freePort();
  redisServer = await spawnListening('redis-server', [
    '--port', '0', '--tls-port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--tls-cert-file', join(own, 'server.crt'), '--tls-key-file', join(own, 'server.key'), '--tls-ca-cert-file', join(own, 'ca.crt'),
    '--tls-auth-clients', 'no',
    '--user', 'default', 'off',
    '--user', REDIS_USER, 'on', `>${REDIS_PASSWORD}`, '~*', '&*', '+@all',
  ], redisPort);
  redisUrl = `rediss://127.0.0.1:${redisPort}`;

  backends = await startTestBackends(['esdb']);
  esdbUrl = backends.urls.esdb ?? '';
  secrets = {
    MONGO_TLS_CA_FILE: join(own, 'ca.crt'),
    MONGO_TLS_CERT_KEY_FILE: join(own, 'ledger.pem'),
    MONGO_USERNAME: MONGO_USER,
    MONGO_PASSWORD,
    REDIS_TLS_CA_FILE: join(own, 'ca.crt'),
    REDIS_USERNAME: REDIS_USER,
    REDIS_PASSWORD,
  };
}, 120_000);

afterAll(async () => {
  await backends?.stop();
  await redisServer?.stop();
  await mongoServer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const connectionEnv = () => ({ MONGO_URL: mongoUrl, MONGO_SERVER: 'ferretdb', MONGO_DB, REDIS_URL: redisUrl, ...secrets });

/** What Mongo and Redis answer a client built from `env` the way Ledger's processes build theirs. */
async function reach(env: Record<string, string>): Promise<{ mongo: string; redis: string }> {
  const config = loadConfig({ ESDB_URL: esdbUrl, ...env });
  const mongo = (async () => {
    let client: MongoClient | undefined;
    try {
      client = await connectReadStore(mongoUrl, config);
      await client.db(MONGO_DB).collection('secrets_check').insertOne({ at: new Date() });
      return 'ok';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    } finally {
      await client?.close();
    }
  })();
  const redis = (async () => {
    const client = openRedis(redisConnectionUrl(config) ?? '', redisTlsOptions(config, readFileSync));
    try {
      return await Promise.race([
        new Promise<string>((resolve) => client.once('ready', () => resolve('ok'))),
        new Promise<string>((resolve) => client.once('error', (err: Error) => resolve(err.message))),
        sleep(10_000).then(() => 'no answer in 10 s'),
      ]);
    } finally {
      client.disconnect();
    }
  })();
  return { mongo: await mongo, redis: await redis };
}

describe('the servers demand every variable', () => {
  test('with all of them both answer; a wrong value of any one is refused by its server', async () => {
    expect(await reach(connectionEnv())).toEqual({ mongo: 'ok', redis: 'ok' });
    // Each variable with a wrong value, and how its server refuses it.
    const wrong: Record<string, readonly [string, RegExp]> = {
      MONGO_TLS_CA_FILE: [join(other, 'ca.crt'), /unable to verify the first certificate/],
      MONGO_TLS_CERT_KEY_FILE: [join(other, 'ledger.pem'), /unknown ca/],
      MONGO_USERNAME: ['somebody-else', /Authentication failed/],
      MONGO_PASSWORD: ['not-the-password', /Authentication failed/],
      REDIS_TLS_CA_FILE: [join(other, 'ca.crt'), /self-signed certificate in certificate chain/],
      REDIS_USERNAME: ['somebody-else', /WRONGPASS/],
      REDIS_PASSWORD: ['not-the-password', /WRONGPASS/],
    };
    const refusals = await Promise.all(Object.entries(wrong).map(async ([name, [value]]) => {
      const r = await reach({ ...connectionEnv(), [name]: value });
      return [name, name.startsWith('MONGO') ? r.mongo : r.redis] as const;
    }));
    for (const [name, answer] of refusals) expect(answer, `${name} with a wrong value`).toMatch(wrong[name]?.[1] ?? /never/);
  }, 60_000);
});

/**
 * The public API's own TLS files (GRPC_TLS_*, server side): a plaintext
 * client and a TLS client without a certificate are refused, so both the
 * server certificate and the client CA are in use; the client that is served
 * trusts our CA and presents a certificate it signed.
 */
async function apiClient(apiAddress: string): Promise<LedgerClient> {
  const file = (name: string) => readFileSync(join(dir, 'own', name));
  const probe = { commandId: randomUUID(), accountId: randomUUID(), ownerId: 'secrets', currency: 'EUR' };
  for (const refused of [new LedgerClient(apiAddress), new LedgerClient(apiAddress, credentials.createSsl(file('ca.crt')))]) {
    try {
      const answer = await refused.call(AccountCommands.method.openAccount, probe, { deadlineMs: 5_000 });
      expect(answer.ok ? 'served' : answer.code).toBe(status.UNAVAILABLE);
    } finally {
      refused.close();
    }
  }
  return new LedgerClient(apiAddress, credentials.createSsl(file('ca.crt'), file('ledger.key'), file('ledger.crt')));
}

/** Commands and reads through `apiAddress`, and what they prove reached Mongo and Redis. */
async function expectServedThroughBoth(apiAddress: string, adminAddress: string): Promise<void> {
  const client = await apiClient(apiAddress);
  const admin = new AdminClient(adminAddress, ADMIN_TOKEN);
  const esdb: EventStoreConnection = connectEventStore(esdbUrl);
  try {
    const [from, to] = [randomUUID(), randomUUID()];
    for (const accountId of [from, to]) {
      const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'secrets', currency: 'EUR' });
      expect(opened.ok ? 'opened' : opened.message).toBe('opened');
    }
    for (const amount of [100n, 50n]) {
      const done = await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId: from, amount, currency: 'EUR' });
      expect(done.ok ? 'deposited' : done.message).toBe('deposited');
    }
    // The projector wrote it to Mongo and the api read it from there.
    const read = await client.call(AccountQueries.method.getAccount, { accountId: from, minRevision: 2n }, { deadlineMs: 30_000 });
    expect(read.ok ? read.response.account?.balance : read.message).toBe(150n);

    // The account's 2nd event (SNAPSHOT_EVERY=2) made the api enqueue a snapshot on Redis; the jobs worker took it from there.
    let snapshot: unknown;
    for (const until = Date.now() + 30_000; snapshot === undefined && Date.now() < until; await sleep(200)) {
      try {
        for await (const e of esdb.client.readStream(`snapshot-account-${from}`, { fromRevision: START })) snapshot = e.event?.data;
      } catch (err) {
        if (!(err instanceof StreamNotFoundError)) throw err;
      }
    }
    expect(snapshot).toMatchObject({ revision: expect.anything() });

    // The jobs process reads the projection registry from Mongo.
    expect((await admin.listProjections()).projections.map((p) => p.name)).toContain('account_summaries');

    // The transfer process writes its document to Mongo.
    const sent = await client.call(AccountCommands.method.transferMoney, { commandId: randomUUID(), fromAccountId: from, toAccountId: to, amount: 30n, currency: 'EUR' });
    if (!sent.ok) throw new Error(`TransferMoney: ${sent.message}`);
    const done = await client.call(AccountQueries.method.getTransfer, { transferId: sent.response.transferId, waitForCompletion: true }, { deadlineMs: 30_000 });
    expect(done.ok && done.response.transfer?.status).toBe(TransferStatus.COMPLETED);
    const mongo = await connectReadStore(mongoUrl, loadConfig({ ...connectionEnv() }));
    try {
      const db = mongo.db(MONGO_DB);
      await expect.poll(async () => {
        const entry = await db.collection<{ _id: string; active_collection: string }>(PROJECTIONS_COLLECTION).findOne({ _id: TRANSFERS_PROJECTION });
        const doc = await db.collection<{ _id: string; status: string }>(entry?.active_collection ?? TRANSFERS_PROJECTION).findOne({ _id: sent.response.transferId });
        return doc?.status;
      }, { timeout: 20_000 }).toBe('completed');
    } finally {
      await mongo.close();
    }
  } finally {
    client.close();
    admin.close();
    await esdb.close();
  }
}

const processEnv = (group: string) => ({
  ...connectionEnv(), ESDB_URL: esdbUrl, ADMIN_TOKEN, SNAPSHOT_EVERY: '2', SNAPSHOT_SWEEP_MS: '0',
  GRPC_TLS_CERT_FILE: join(dir, 'own', 'server.crt'), GRPC_TLS_KEY_FILE: join(dir, 'own', 'server.key'), GRPC_TLS_CLIENT_CA_FILE: join(dir, 'own', 'ca.crt'),
  PROJECTOR_GROUP: `secrets-${group}`, TRANSFER_GROUP: `secrets-transfers-${group}`,
});

describe('the standalone workers', () => {
  let parts: LedgerProcess[] = [];
  afterAll(async () => { for (const p of [...parts].reverse()) await p.stop(); });

  test('api, projector, jobs and transfer-process serve through the Mongo and Redis that demand them', async () => {
    const env = processEnv('standalone');
    parts = await Promise.all((['projector', 'jobs', 'transfer-process', 'api'] as const).map((name) => ledgerProcess(name, env)));
    for (const p of parts) await p.start();
    const [, jobs, , api] = parts;
    if (jobs === undefined || api === undefined) throw new Error('processes missing');
    await expectServedThroughBoth(api.address, jobs.adminAddress);
  }, 180_000);
});

describe('npm start', () => {
  let ledger: NpmStart | undefined;
  afterAll(async () => {
    if (ledger !== undefined && ledger.npm.exitCode === null) {
      process.kill(-(ledger.npm.pid ?? 0), 'SIGINT');
      await ledger.exited;
    }
  });

  test('serves through the Mongo and Redis that demand them, and no line it logs holds a password', async () => {
    ledger = await npmStart(join(dir, 'npm-start'), 120_000, processEnv('npm-start'));
    await expectServedThroughBoth(ledger.address, ledger.adminAddress);
    expect(ledger.lines.filter((l) => l.includes(MONGO_PASSWORD) || l.includes(REDIS_PASSWORD))).toEqual([]);
  }, 180_000);
});
