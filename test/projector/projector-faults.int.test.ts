import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { replayParkedAccountEvents, subscriptionGroupStats } from '../../src/eventstore/persistent-subscription-admin.js';
import { decoderWith } from '../../src/readmodels/event-repairs.js';
import { amountAsNumberRepair, eventDecoder } from '../../src/domain/index.js';
import type { ProjectionSource } from '../../src/readmodels/projection-source.js';
import { MONGO_WIRE_SERVERS } from '../support/mongo-wire.js';
import { ReadModelFixture, deposited, opened, withdrawn } from './read-model-fixture.js';

/** Seeded so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

/** Hands a share of first deliveries straight back: the server redelivers them later, out of order. */
const nackSome = (rate: number, rand: () => number) => (inner: ProjectionSource): ProjectionSource => ({
  async *deliveries() {
    for await (const d of inner.deliveries()) {
      if (d.retryCount === 0 && rand() < rate) {
        await inner.retry([d.ackId], 'fault injection');
        continue;
      }
      yield d;
    }
  },
  ack: (ids) => inner.ack(ids),
  retry: (ids, reason) => inner.retry(ids, reason),
  park: (ids, reason) => inner.park(ids, reason),
  close: () => inner.close(),
});

// On both servers: FerretDB's guarded update is not atomic (two concurrent
// ones can both match), so there the read-back alone keeps two consumers right.
describe.each(MONGO_WIRE_SERVERS)('on %s', (mongo) => {
  let fx: ReadModelFixture;
  beforeAll(async () => {
    fx = await ReadModelFixture.start({ mongo });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  describe('projector under redelivery and reordering', () => {
    test('nack-retries and two round-robin consumers: every account equals the fold of its stream', async () => {
      const accounts = Array.from({ length: 40 }, () => randomUUID());
      const settings = { group: 'chaos', consumerStrategy: 'RoundRobin' as const, batchSize: 16, batchMs: 5 };
      const a = await fx.projector(settings, { decorateSource: nackSome(0.3, random(7)) });
      const b = await fx.projector(settings, { decorateSource: nackSome(0.3, random(11)) });
      try {
        await Promise.all(
          accounts.map(async (id, i) => {
            await fx.append(id, [opened(id), deposited(1_000n)]);
            for (let k = 0; k < 8; k += 1) await fx.append(id, [k % 2 === 0 ? withdrawn(BigInt(i + k + 1)) : deposited(BigInt(10 * k))]);
          }),
        );
        await fx.expectReadModelEqualsEventStore(accounts, 60_000);
        const processed = a.projector.progress.processed + b.projector.progress.processed;
        expect(a.projector.progress.processed).toBeGreaterThan(0);
        expect(b.projector.progress.processed).toBeGreaterThan(0);
        expect(processed).toBeGreaterThanOrEqual(accounts.length * 10);
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  });

  describe('a poison event', () => {
    test('is parked, holds only its own account, and projects after repair and replay', async () => {
      const group = 'poison';
      const victim = randomUUID();
      const others = Array.from({ length: 5 }, () => randomUUID());
      await fx.append(victim, [opened(victim), deposited(100n)]);
      // A foreign writer put the amount as a JSON number: the codec refuses it.
      await fx.appendRaw(victim, 'MoneyDeposited', { amount: 2_500 });
      await fx.append(victim, [deposited(7n)]);
      for (const id of others) await fx.append(id, [opened(id), deposited(50n)]);

      const before = await fx.projector({ group, maxRetries: 2, retryBackoffMs: 10 });
      try {
        await fx.expectReadModelEqualsEventStore(others);
        await expect.poll(async () => (await subscriptionGroupStats(fx.esdb, group))?.parkedCount, { timeout: 15_000 }).toBe(1n);
        await expect.poll(async () => fx.db.collection('projection_holds').countDocuments({ _id: victim as never }), { timeout: 5_000 }).toBe(1);
        // The rest keeps projecting while the victim waits.
        for (const id of others) await fx.append(id, [withdrawn(20n)]);
        await fx.append(victim, [withdrawn(1n)]);
        await fx.expectReadModelEqualsEventStore(others);
        const held = await fx.readModelOf(victim);
        expect(held.summary).toMatchObject({ revision: 1n, balance: 100n });
        expect(held.transactions).toHaveLength(1);
        await expect.poll(async () => (await before.registry.list()).filter((p) => p.name !== 'transfers').map((p) => [p.status, p.lag?.blockedAccounts]), { timeout: 5_000 }).toEqual([
          ['blocked', 1],
          ['blocked', 1],
        ]);
      } finally {
        await before.stop();
      }

      // Repair deployed (a restart with the upcaster), then the operator replays the parked message.
      const after = await fx.projector({ group, maxRetries: 2, retryBackoffMs: 10, decoder: eventDecoder({ repairs: [amountAsNumberRepair] }) });
      try {
        expect(await replayParkedAccountEvents(fx.esdb, group)).toBe(true);
        await fx.expectReadModelEqualsEventStore([victim, ...others], 20_000, decoderWith([amountAsNumberRepair]));
        expect((await fx.readModelOf(victim)).summary).toMatchObject({ revision: 4n, balance: 2_606n, tx_count: 4n });
        expect(await fx.db.collection('projection_holds').countDocuments()).toBe(0);
      } finally {
        await after.stop();
      }
    });
  });
});
