import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { eventsOf } from '../commands/stream-reading.js';
import { startSecuredApi, type SecuredApi } from './secured-api.js';

// Issue 13: AUTH_MODE=none stays possible for local use, loudly.
let api: SecuredApi;
beforeAll(async () => {
  api = await startSecuredApi({ AUTH_MODE: 'none' });
});
afterAll(async () => api?.stop());

test('AUTH_MODE=none: warned at start; a caller without credentials acts as anonymous, and the events say so', async () => {
  expect(api.warnings.join()).toMatch(/AUTH_MODE=none/);
  const client = api.client();
  const accountId = randomUUID();
  expect((await client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' })).ok).toBe(true);
  expect((await client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount: 5n, currency: 'EUR' })).ok).toBe(true);
  const metadata = (await eventsOf(api.esdb, accountId)).map((e) => e.metadata);
  expect(metadata).toEqual([1, 2].map(() => expect.objectContaining({ actor: 'anonymous', auth_method: 'none' })));
});
