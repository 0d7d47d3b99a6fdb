import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CommandHandler } from '../../src/app/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { MONGO_WIRE_SERVERS } from '../support/mongo-wire.js';
import { ReadModelFixture, deposited, opened, withdrawn } from './read-model-fixture.js';

describe.each(MONGO_WIRE_SERVERS)('projector end to end on %s', (mongo) => {
  let fx: ReadModelFixture;
  beforeAll(async () => {
    fx = await ReadModelFixture.start({ mongo });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  // FerretDB 1.24 never answered one bulkWrite of 100+ filtered updates (issue 11);
  // the default server takes 2,000 accounts in one batch.
  test('one batch touching many accounts (2,000 on mongo-java-server, 300 on FerretDB) lands whole and the projector keeps going', async () => {
    const count = mongo === 'ferretdb' ? 300 : 2_000;
    const accounts = Array.from({ length: count }, () => randomUUID());
    const appendAll = async (events: (id: string) => Parameters<ReadModelFixture['append']>[1]) => {
      for (let i = 0; i < accounts.length; i += 100) await Promise.all(accounts.slice(i, i + 100).map((id) => fx.append(id, events(id))));
    };
    await appendAll((id) => [opened(id, `owner-${id.slice(0, 1)}`), deposited(100n)]);
    const running = await fx.projector({ group: `wide-${mongo}`, batchSize: 5_000, batchMs: 500 });
    try {
      const summaries = fx.db.collection('account_summaries');
      await expect.poll(() => summaries.countDocuments({ _id: { $in: accounts as never[] }, revision: 1 }), { timeout: 60_000, interval: 250 }).toBe(count);
      // Every account again in one batch: now guarded updates, not inserts.
      await appendAll(() => [withdrawn(30n)]);
      await expect.poll(() => summaries.countDocuments({ _id: { $in: accounts as never[] }, revision: 2, balance: 70 }), { timeout: 90_000, interval: 250 }).toBe(count);
      await fx.expectReadModelEqualsEventStore(accounts.slice(0, 10));
      const p = running.projector.progress;
      expect(p.storeFailing).toBe(false);
    } finally {
      await running.stop();
    }
  }, 180_000);

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
      await expect.poll(async () => (await running.registry.list()).filter((p) => p.name !== 'transfers').map((p) => [p.name, p.status, p.lag?.eventsBehind]), { timeout: 10_000 }).toEqual([
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
