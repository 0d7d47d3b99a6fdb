import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReadModelFixture, deposited, opened, withdrawn } from './read-model-fixture.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-outage-'));
let fx: ReadModelFixture;
beforeAll(async () => {
  fx = await ReadModelFixture.start({ mongoDataDir: dataDir, mongo: 'ferretdb' }); // outlives its restart on disk
});
afterAll(async () => {
  await fx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Mongo stopped and restarted on the same data', () => {
  test('the projector waits, then resumes: nothing lost, nothing doubled', async () => {
    const accounts = Array.from({ length: 20 }, () => randomUUID());
    const running = await fx.projector({ group: 'outage', batchSize: 25 });
    try {
      for (const id of accounts) await fx.append(id, [opened(id), deposited(500n)]);
      await fx.expectReadModelEqualsEventStore(accounts);

      const restart = await fx.stopMongo();
      for (const id of accounts) await fx.append(id, [withdrawn(100n), deposited(3n), withdrawn(2n)]);
      await expect.poll(() => running.projector.progress.storeFailing, { timeout: 15_000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 2_500)); // past the 2 s message timeout: redeliveries pile up
      await restart();

      await fx.expectReadModelEqualsEventStore(accounts, 60_000);
      expect(running.projector.progress.storeFailing).toBe(false);
      const txCount = await fx.db.collection('account_transactions').countDocuments({ account_id: { $in: accounts } });
      expect(txCount).toBe(accounts.length * 4);
      for (const id of accounts) expect((await fx.readModelOf(id)).summary).toMatchObject({ balance: 401n, tx_count: 4n, revision: 4n });
    } finally {
      await running.stop();
    }
  });
});
