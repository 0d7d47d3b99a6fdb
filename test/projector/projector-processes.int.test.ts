import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startProjector } from '../../workers/projector.js';
import { ReadModelFixture, deposited, opened, quietLogger, testSettings, withdrawn } from './read-model-fixture.js';

let fx: ReadModelFixture;
beforeAll(async () => {
  fx = await ReadModelFixture.start();
});
afterAll(async () => {
  await fx?.stop();
});

/** The real entry point, as `node --import tsx workers/projector.ts` (one process, so a kill is a kill). */
function projectorProcess(group: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'workers/projector.ts'], {
    env: {
      ...process.env,
      ESDB_URL: fx.esdbServer.connectionString,
      MONGO_URL: fx.mongoUrl,
      MONGO_DB: fx.db.databaseName,
      PROJECTOR_GROUP: group,
      PROJECTOR_CONSUMER_STRATEGY: 'Pinned',
      PROJECTOR_BATCH_SIZE: '40',
      PROJECTOR_BATCH_MS: '20',
      PROJECTOR_MESSAGE_TIMEOUT_MS: '2000',
      METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (p: ChildProcess): Promise<number | null> =>
  p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((resolve) => p.once('exit', (code) => resolve(code)));

async function sortedDocs(dbName: string, collection: string) {
  return fx.mongo.db(dbName).collection(collection).find({}, { useBigInt64: true }).sort({ _id: 1 }).toArray();
}

describe('projector processes sharing one group', () => {
  test('two processes over 200 accounts, one killed mid-run and replaced, end equal to one projector and to the fold', async () => {
    const accounts = Array.from({ length: 200 }, () => randomUUID());
    const first = projectorProcess('shared');
    const second = projectorProcess('shared');
    let replacement: ChildProcess | undefined;
    try {
      for (let chunk = 0; chunk < accounts.length; chunk += 20) {
        await Promise.all(
          accounts.slice(chunk, chunk + 20).map(async (id, i) => {
            await fx.append(id, [opened(id, `owner-${i % 7}`), deposited(1_000n)]);
            await fx.append(id, [withdrawn(BigInt(i + 1)), deposited(25n)]);
            await fx.append(id, [withdrawn(5n)]);
          }),
        );
        // Halfway, while batches are in flight: no graceful anything.
        if (chunk === 100) {
          first.kill('SIGKILL');
          replacement = projectorProcess('shared');
        }
      }
      await fx.expectReadModelEqualsEventStore(accounts, 90_000);

      // The same events through a single in-process projector, into another database.
      const single = fx.mongo.db(`${fx.db.databaseName}_single`);
      const one = await startProjector(fx.esdb, single, testSettings({ group: 'single' }), quietLogger);
      try {
        await expect
          .poll(async () => single.collection('account_transactions').countDocuments(), { timeout: 60_000, interval: 200 })
          .toBe(await fx.db.collection('account_transactions').countDocuments());
        await expect.poll(async () => (await sortedDocs(single.databaseName, 'account_summaries')).map((d) => d['revision']), { timeout: 30_000 }).toEqual(
          (await sortedDocs(fx.db.databaseName, 'account_summaries')).map((d) => d['revision']),
        );
      } finally {
        await one.stop();
      }
      expect(await sortedDocs(single.databaseName, 'account_summaries')).toEqual(await sortedDocs(fx.db.databaseName, 'account_summaries'));
      expect(await sortedDocs(single.databaseName, 'account_transactions')).toEqual(await sortedDocs(fx.db.databaseName, 'account_transactions'));
      expect(await fx.db.collection('account_summaries').countDocuments()).toBe(200);
    } finally {
      for (const p of [first, second, replacement]) if (p !== undefined && p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    }
    // SIGTERM is a graceful stop: finish the batch, ack, close, exit 0.
    expect(await exited(second)).toBe(0);
    expect(await exited(replacement!)).toBe(0);
  }, 240_000);
});
