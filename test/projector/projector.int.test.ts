import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { ReadModelFixture, deposited, opened, withdrawn } from './read-model-fixture.js';

let fx: ReadModelFixture;
beforeAll(async () => {
  fx = await ReadModelFixture.start();
});
afterAll(async () => {
  await fx?.stop();
});

describe('projector end to end', () => {
  test('a command becomes a summary and a transaction document within a bounded wait', async () => {
    const running = await fx.projector();
    try {
      const handler = new CommandHandler({ store: new EsdbAccountEventStore(fx.esdb), maxRetries: 3 });
      const accountId = randomUUID();
      await handler.handle({ command: { type: 'OpenAccount', data: { accountId, ownerId: 'alice', currency: 'EUR' } }, commandId: randomUUID() });
      const answer = await handler.handle({ command: { type: 'Deposit', data: { accountId, amount: 1500n, currency: 'EUR' } }, commandId: randomUUID() });
      await fx.expectReadModelEqualsEventStore([accountId], 10_000);
      const { summary, transactions } = await fx.readModelOf(accountId);
      expect(summary).toMatchObject({ _id: accountId, owner_id: 'alice', balance: 1500n, currency: 'EUR', status: 'open', tx_count: 1n, revision: answer.revision });
      expect(transactions).toMatchObject([{ account_id: accountId, type: 'deposit', amount: 1500n, balance_after: 1500n, revision: 1n }]);
    } finally {
      await running.stop();
    }
  });

  test('redelivery after a restart and interleaved accounts leave exactly the fold', async () => {
    const accounts = Array.from({ length: 20 }, () => randomUUID());
    for (const id of accounts) await fx.append(id, [opened(id), deposited(100n)]);
    const first = await fx.projector({ group: 'restart-group', batchSize: 7 });
    for (const id of accounts) await fx.append(id, [withdrawn(30n)]);
    await first.stop();
    for (const id of accounts) await fx.append(id, [deposited(5n), withdrawn(1n)]);
    const second = await fx.projector({ group: 'restart-group', batchSize: 7 });
    try {
      await fx.expectReadModelEqualsEventStore(accounts);
      expect((await fx.readModelOf(accounts[0]!)).summary?.['balance']).toBe(74n);
    } finally {
      await second.stop();
    }
  });

  test('lag and status land in the projections registry', async () => {
    const running = await fx.projector({ group: 'status-group' });
    try {
      const id = randomUUID();
      await fx.append(id, [opened(id), deposited(1n)]);
      await fx.expectReadModelEqualsEventStore([id]);
      await expect.poll(async () => (await running.registry.list()).map((p) => [p.name, p.status, p.lag?.eventsBehind]), { timeout: 10_000 }).toEqual([
        ['account_summaries', 'running', 0n],
        ['account_transactions', 'running', 0n],
      ]);
      const [summaries] = await running.registry.list();
      expect(summaries?.lag?.checkpointPosition).toBeGreaterThan(0n);
      expect(summaries?.lag?.parkedCount).toBe(0n);
    } finally {
      await running.stop();
    }
    expect((await running.registry.list())[0]?.status).toBe('stopped');
  });
});
