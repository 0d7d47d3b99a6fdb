import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../src/grpc/admin-service-cli.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import type { AdminBackend } from '../../src/grpc/admin-service.js';
import { startAdminServer, type AdminServer } from '../../src/grpc/admin-service-server.js';

// Issue 14: which event holds an account, and which repairs are deployed,
// show in the Admin API and `ledger-admin list`, not only in the logs.
const TOKEN = 'right-token-right-token';
const held = { accountId: '0b9c2f4e-6a1d-4e8b-8c3f-5d7e9a1b2c3d', revision: 2n, eventId: 'caf7d719-e5bd-5021-9155-6a4ebd330208', reason: 'malformed MoneyDeposited event: amount: a non-negative integer string' };
const backend: AdminBackend = {
  token: TOKEN,
  rebuildable: ['account_summaries'],
  defaultGroup: 'projector',
  rebuilds: { start: async () => { throw new Error('not in this test'); }, get: async () => undefined, cancel: async () => undefined, running: async () => new Map() },
  listProjections: async () => [{ name: 'account_summaries', activeCollection: 'account_summaries', status: 'blocked', lag: null, updatedAt: new Date() }],
  replayParked: async () => undefined,
  heldAccounts: async () => [held],
  eventDecoding: { repairs: ['amount-as-number', 'file:/etc/ledger/repairs.json'], upcasters: [] },
};

let server: AdminServer;
beforeAll(async () => { server = await startAdminServer(backend, '127.0.0.1', 0); });
afterAll(async () => { await server?.close(); });

describe('held accounts and deployed repairs', () => {
  test('given a held account, ListProjections names its event, revision and reason, and the deployed repairs', async () => {
    const admin = new AdminClient(`127.0.0.1:${server.port}`, TOKEN);
    try {
      const listed = await admin.listProjections();
      expect(listed.heldAccounts.map((h) => ({ accountId: h.accountId, revision: h.revision, eventId: h.eventId, reason: h.reason }))).toEqual([held]);
      expect(listed.eventRepairs).toEqual(['amount-as-number', 'file:/etc/ledger/repairs.json']);
    } finally {
      admin.close();
    }
  });

  test('given a held account, `ledger-admin list` prints one line for it and one for the repairs', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
    const code = await main(['list'], { ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(server.port), ADMIN_TOKEN: TOKEN });
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(out).toContain(`held\taccount=${held.accountId}\trevision=2\tevent=${held.eventId}\t${held.reason}`);
    expect(out).toContain('repairs\tamount-as-number,file:/etc/ledger/repairs.json\tupcasters\t-');
  });
});
