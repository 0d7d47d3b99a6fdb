import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EventStoreDBClient } from '@eventstore/db-client';
import { freePort } from '../../src/embedded/free-port.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { spawnServer, type ChildServer } from '../esdb/child-server.js';
import { createUser, usersClient } from '../esdb/secure-fixture.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

// Issue 16 (secure mode) and issue 13 (b): Ledger's own event-store settings
// (ESDB_USERNAME, ESDB_PASSWORD, ESDB_TLS_CA_FILE) against the embedded
// server started as a secure node (`ledger-esdb --dev-certs`), as against a
// production node: over TLS, as a user that is not admin.
const LEDGER_USER = 'ledger';
const LEDGER_PASSWORD = 'ledger-esdb-pw-5Jq';
const WRONG_PASSWORD = 'wrong-esdb-pw-8Rt';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
let esdb: ChildServer;
let caFile: string;
let plainUrl: string;
let backends: TestBackends;
const processes: LedgerProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-secure-e2e-'));
  esdb = await spawnServer(['--memory', '--dev-certs', '--dev-certs-dir', join(dir, 'certs')]);
  caFile = join(dir, 'certs', 'ca.crt');
  const port = new URL(esdb.connectionString.replace('esdb:', 'http:')).port;
  // What an operator sets: the node's address with tls=true; the CA and the credentials come from their own variables.
  plainUrl = `esdb://127.0.0.1:${port}?tls=true`;
  // Least privilege: $ops manages Ledger's persistent subscription groups; $all (a system stream) is opened to $ops for reading.
  const admin = EventStoreDBClient.connectionString(esdb.connectionString.replace('esdb://', 'esdb://admin:changeit@'));
  try {
    const users = usersClient(Number(port), caFile);
    await createUser(users, LEDGER_USER, LEDGER_PASSWORD, ['$ops']);
    users.close();
    await admin.setStreamMetadata('$all', { acl: { readRoles: ['$admins', '$ops'] } });
  } finally {
    await admin.dispose();
  }
  backends = await startTestBackends(['mongo']);
}, 120_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  await backends?.stop();
  esdb?.process.kill('SIGTERM');
  await esdb?.exited;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ledgerEnv = (password: string): Record<string, string> => ({
  ESDB_URL: plainUrl,
  ESDB_USERNAME: LEDGER_USER,
  ESDB_PASSWORD: password,
  ESDB_TLS_CA_FILE: caFile,
  MONGO_URL: backends.urls.mongo ?? '',
  AUTH_MODE: 'none',
});

describe('Ledger against a secure event store', () => {
  test('the api and the projector, as a non-admin user over TLS: a deposit is appended, read back from the stream and from the read model', async () => {
    const api = await ledgerProcess('api', ledgerEnv(LEDGER_PASSWORD));
    const projector = await ledgerProcess('projector', ledgerEnv(LEDGER_PASSWORD));
    processes.push(api, projector);
    await api.start();
    await projector.start();
    const client = new LedgerClient(api.address);
    const accountId = randomUUID();
    try {
      const opened = await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'secure', currency: 'EUR' });
      expect(opened.ok ? 'opened' : `${opened.code} ${opened.message} ${api.stderr()}`).toBe('opened');
      const deposited = await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 2_500n, currency: 'EUR' });
      expect(deposited.ok ? deposited.response.result?.balance : deposited.message).toBe(2_500n);
      const asOf = await client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } });
      expect(asOf.ok ? asOf.response.account?.balance : asOf.message).toBe(2_500n);
      const projected = await client.call(AccountQueries.method.getAccount, { accountId, minRevision: 1n }, { deadlineMs: 30_000 });
      expect(projected.ok ? projected.response.account?.balance : `${projected.message} ${projector.stderr()}`).toBe(2_500n);
    } finally {
      client.grpc.close();
    }
    // The events are in the store as Ledger wrote them, read back as admin.
    const admin = EventStoreDBClient.connectionString(esdb.connectionString.replace('esdb://', 'esdb://admin:changeit@'));
    try {
      const types: string[] = [];
      for await (const e of admin.readStream(`account-${accountId}`)) types.push(e.event?.type ?? '');
      expect(types).toEqual(['AccountOpened', 'MoneyDeposited']);
    } finally {
      await admin.dispose();
    }
  }, 180_000);

  test.each(['api', 'projector', 'jobs', 'transfer-process'])('a wrong ESDB_PASSWORD: the standalone %s stops at start with a line naming the refused credentials, and no output line holds the password', async (worker) => {
    const ports = { GRPC_HOST: '127.0.0.1', GRPC_PORT: String(await freePort()), METRICS_PORT: String(await freePort()), ADMIN_PORT: String(await freePort()) };
    // jobs needs a REDIS_URL to start at all; the credentials check comes before any Redis connection.
    const out = await runToExit(worker, { ...ledgerEnv(WRONG_PASSWORD), LOG_LEVEL: 'debug', REDIS_URL: `redis://127.0.0.1:${await freePort()}`, ...ports });
    expect(out.code).not.toBe(0);
    expect(out.text).toMatch(/event store refused the credentials of ESDB_USERNAME 'ledger'/);
    for (const form of [WRONG_PASSWORD, encodeURIComponent(WRONG_PASSWORD), Buffer.from(`${LEDGER_USER}:${WRONG_PASSWORD}`).toString('base64')]) {
      expect(out.text).not.toContain(form);
    }
  }, 120_000);
});

/** Runs a worker until it exits (at most 60 s), keeping everything it wrote on stdout and stderr. */
function runToExit(name: string, env: Record<string, string>): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `workers/${name}.ts`], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, text });
    });
  });
}
