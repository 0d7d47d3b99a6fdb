import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../src/grpc/admin-service-cli.js';
import type { AdminBackend } from '../../src/grpc/admin-service.js';
import { startAdminServer, type AdminServer } from '../../src/grpc/admin-service-server.js';

/**
 * Issue 12: the Admin CLI tells a missing token, a wrong token and a server
 * without a token apart, in one line each; a bad command line prints the
 * usage and exits 2; nothing ends in a stack trace. The servers are real
 * Admin gRPC servers over a small in-memory backend.
 */
const TOKEN = 'right-token-right-token';
const backend = (token: string | undefined): AdminBackend => ({
  token,
  rebuildable: ['account_summaries'],
  defaultGroup: 'projector',
  rebuilds: { start: async () => { throw new Error('not in this test'); }, get: async () => undefined, cancel: async () => undefined, running: async () => new Map() },
  listProjections: async () => [{ name: 'account_summaries', activeCollection: 'account_summaries_v1', status: 'running', lag: null, updatedAt: new Date() }],
  replayParked: async () => undefined,
});

let guarded: AdminServer;
let open: AdminServer;
beforeAll(async () => {
  [guarded, open] = await Promise.all([startAdminServer(backend(TOKEN), '127.0.0.1', 0), startAdminServer(backend(undefined), '127.0.0.1', 0)]);
});
afterAll(async () => { await Promise.all([guarded?.close(), open?.close()]); });
afterEach(() => { vi.restoreAllMocks(); });

/** Runs the CLI in this process; what it printed, line by line. */
async function cli(argv: string[], env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const code = await main(argv, env);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
const at = (server: AdminServer, token?: string) => ({ ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(server.port), ...(token === undefined ? {} : { ADMIN_TOKEN: token }) });

describe('the Admin CLI names what is wrong with the token', () => {
  test('with the right token, list prints the projections', async () => {
    const r = await cli(['list'], at(guarded, TOKEN));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('account_summaries\taccount_summaries_v1\trunning');
  });

  test('no ADMIN_TOKEN: says to set it, calls nothing, exit 2', async () => {
    expect(await cli(['list'], at(guarded))).toEqual({
      code: 2, stdout: '', stderr: 'ledger-admin: ADMIN_TOKEN is not set: set it to the ADMIN_TOKEN the jobs process was started with',
    });
  });

  test('a wrong token: the server says it does not match, exit 1', async () => {
    expect(await cli(['list'], at(guarded, 'wrong-token-wrong-token'))).toEqual({
      code: 1, stdout: '', stderr: 'ledger-admin list: wrong token: it does not match the ADMIN_TOKEN the jobs process was started with',
    });
  });

  test('a server started without ADMIN_TOKEN: says the Admin API is disabled there, exit 1', async () => {
    expect(await cli(['list'], at(open, TOKEN))).toEqual({
      code: 1, stdout: '', stderr: 'ledger-admin list: the Admin API is disabled: the jobs process was started without ADMIN_TOKEN',
    });
  });

  test('a token under 16 characters: one line naming the variable, exit 2', async () => {
    const r = await cli(['list'], at(guarded, 'short'));
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'ledger-admin: invalid configuration: ADMIN_TOKEN: must be at least 16 characters' });
  });
});

describe('a bad command line prints the usage and exits 2', () => {
  test.each([
    [['list', '--bogus']],
    [['start']],
    [['start', 'account_summaries', 'extra']],
    [['status', 'r1', '--watch']],
    [['frobnicate']],
    [[]],
  ])('%j', async (argv) => {
    const r = await cli(argv, at(guarded, TOKEN));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ledger-admin: .+\n\nledger-admin: operate Ledger's read models/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  test('--help prints the usage and exits 0', async () => {
    expect(await cli(['--help'], {})).toMatchObject({ code: 0, stderr: '' });
  });

  test('as installed (bin/ledger-admin.js), a short token is one line on stderr and exit 2, no stack trace', async () => {
    const bin = fileURLToPath(new URL('../../bin/ledger-admin.js', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [bin, 'list'], { env: { ...process.env, ADMIN_TOKEN: 'short' } }, (e, _o, stderr) =>
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, stderr })));
    expect(r).toEqual({ code: 2, stderr: 'ledger-admin: invalid configuration: ADMIN_TOKEN: must be at least 16 characters\n' });
  });
});
