import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { EventStoreDBClient } from '@eventstore/db-client';
import { parseArgs } from '../../src/esdb-server/cli.js';
import { ensureDevCertificates } from '../../src/esdb-server/security/dev-certs.js';
import { spawnServer, type ChildServer } from './child-server.js';
import { collect, deposits, uniqueStream } from './esdb-fixture.js';

// Issue 16: `ledger-esdb --dev-certs` is a secure node a production
// connection string (credentials, tls=true, tlsCAFile) works against as printed.
const dirs: string[] = [];
const children: ChildServer[] = [];
afterAll(() => {
  for (const c of children) c.process.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The printed connection string, with `userinfo`, appends and reads back; then SIGTERM stops the node cleanly. */
const expectServesThenStops = async (child: ChildServer, userinfo: string, events: number): Promise<void> => {
  const client = EventStoreDBClient.connectionString(child.connectionString.replace('esdb://', `esdb://${userinfo}@`));
  try {
    const stream = uniqueStream('cli');
    await client.appendToStream(stream, deposits(events));
    expect(await collect(client.readStream(stream))).toHaveLength(events);
  } finally {
    await client.dispose();
    child.process.kill('SIGTERM');
  }
  expect(await child.exited).toBe(0);
};

describe('ledger-esdb secure mode flags', () => {
  test('insecure stays the default; TLS flags must come whole and not with --insecure', () => {
    const plain = parseArgs(['--memory']);
    expect([plain.devCerts, plain.tlsCert, plain.tlsKey]).toEqual([false, undefined, undefined]);
    expect(parseArgs(['--memory', '--insecure']).devCerts).toBe(false);
    expect(parseArgs(['--memory', '--tls-cert', 'n.crt', '--tls-key', 'n.key', '--tls-ca', 'ca.crt'])).toMatchObject({ tlsCert: 'n.crt', tlsKey: 'n.key', tlsCa: 'ca.crt' });
    expect(() => parseArgs(['--memory', '--tls-cert', 'n.crt'])).toThrow(/--tls-cert and --tls-key/);
    expect(() => parseArgs(['--memory', '--tls-ca', 'ca.crt'])).toThrow(/--tls-ca needs/);
    expect(() => parseArgs(['--memory', '--insecure', '--dev-certs'])).toThrow(/--insecure contradicts/);
    expect(() => parseArgs(['--memory', '--dev-certs', '--tls-cert', 'a', '--tls-key', 'b'])).toThrow(/not both/);
  });

  test('--dev-certs makes a CA and node certificate in <data>/certs, prints the CA path, and the printed string works with credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-cli-'));
    dirs.push(dir);
    const child = await spawnServer(['--data', join(dir, 'data'), '--dev-certs', '--default-admin-password', 'first-admin-pw']);
    children.push(child);
    const caFile = join(dir, 'data', 'certs', 'ca.crt');
    expect(child.connectionString).toBe(`esdb://127.0.0.1:${new URL(child.connectionString.replace('esdb:', 'http:')).port}?tls=true&tlsCAFile=${encodeURIComponent(caFile)}`);
    expect(child.stderr()).toContain(caFile);
    expect(existsSync(join(dir, 'data', 'certs', 'node.key'))).toBe(true);
    await expectServesThenStops(child, 'admin:first-admin-pw', 3);
  });

  test('--memory --dev-certs keeps its CA in a temp folder while it runs and removes it when stopped', async () => {
    const child = await spawnServer(['--memory', '--dev-certs']);
    children.push(child);
    const caFile = decodeURIComponent(/tlsCAFile=([^&]+)/.exec(child.connectionString)?.[1] ?? '');
    expect(caFile).toMatch(/ledger-esdb-certs-.*ca\.crt$/);
    expect(existsSync(caFile)).toBe(true);
    await expectServesThenStops(child, 'admin:changeit', 1);
    expect(existsSync(dirname(caFile))).toBe(false);
  });

  test('--tls-cert/--tls-key/--tls-ca take a certificate made elsewhere; a file that cannot be read stops the start, naming the flag and path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-cli-'));
    dirs.push(dir);
    const cert = ensureDevCertificates(join(dir, 'own-ca'), '127.0.0.1');
    const child = await spawnServer(['--memory', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--tls-ca', cert.caFile]);
    children.push(child);
    expect(child.connectionString).toContain(`tls=true&tlsCAFile=${encodeURIComponent(cert.caFile)}`);
    await expectServesThenStops(child, 'ops:changeit', 1);
    const missing = join(dir, 'absent.crt');
    const failed = await spawnServer(['--memory', '--tls-cert', missing, '--tls-key', cert.keyFile]).then(
      () => new Error('started'),
      (e: unknown) => e as Error,
    );
    expect(failed.message).toContain(`--tls-cert ${missing}`);
  });
});
