import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { encodeEventData, encodeMetadata } from '../../src/domain/event-codec.js';
import { AccountProjectionWriter } from '../../src/readmodels/account-projection-writer.js';
import { AccountProjector } from '../../src/readmodels/account-projector.js';
import { DeliveryBatcher } from '../../src/readmodels/delivery-batcher.js';
import { InMemoryReadModelStore } from '../../src/readmodels/in-memory-read-model-store.js';
import type { ProjectionDelivery, ProjectionSource } from '../../src/readmodels/projection-source.js';
import { DEFAULT_TARGETS } from '../../src/readmodels/read-model-schema.js';
import { ReadModelUnavailable } from '../../src/readmodels/read-model-unavailable.js';
import type { StoredEvent } from '../../src/readmodels/recorded-account-event.js';
import { ACCOUNT, deposited, foldSummary, opened, recorded } from './given-account-events.js';

const history = recorded(opened(), deposited(10n), deposited(20n));
const stored = (i: number, data?: unknown): StoredEvent => {
  const e = history[i]!;
  return {
    eventId: e.eventId, streamId: `account-${ACCOUNT}`, revision: e.revision, commitPosition: BigInt(i + 1), type: e.event!.type,
    data: data ?? encodeEventData(e.event!),
    metadata: encodeMetadata({ occurredAt: e.occurredAt.toISOString(), commandId: 'c', correlationId: 'c', causationId: 'c', schemaVersion: 1 }),
    created: e.occurredAt,
  };
};

/** A subscription in memory: records how each message was settled; redelivers retried ones with retryCount + 1. */
class ScriptedSource implements ProjectionSource {
  readonly settled: string[] = [];
  private readonly queue: ProjectionDelivery[];
  private readonly latest = new Map<string, ProjectionDelivery>();
  private closed = false;
  constructor(deliveries: ProjectionDelivery[]) {
    this.queue = [...deliveries];
    for (const d of deliveries) this.latest.set(d.ackId, d);
  }
  async *deliveries(): AsyncGenerator<ProjectionDelivery> {
    while (!this.closed) {
      const next = this.queue.shift();
      if (next === undefined) await new Promise((r) => setTimeout(r, 2));
      else yield next;
    }
  }
  async ack(ids: readonly string[]) { for (const id of ids) this.settled.push(`ack ${id}`); }
  async retry(ids: readonly string[]) {
    for (const id of ids) {
      this.settled.push(`retry ${id}`);
      const previous = this.latest.get(id);
      if (previous === undefined) continue;
      const again = { ...previous, retryCount: previous.retryCount + 1 };
      this.latest.set(id, again);
      this.queue.push(again);
    }
  }
  async park(ids: readonly string[]) { for (const id of ids) this.settled.push(`park ${id}`); }
  async close() { this.closed = true; }
}

/** Mongo refusing connections for the first `failures` reads. */
class FlakyStore extends InMemoryReadModelStore {
  constructor(public failures: number) {
    super();
  }
  override async loadSummaries(...args: Parameters<InMemoryReadModelStore['loadSummaries']>) {
    if (this.failures-- > 0) throw new ReadModelUnavailable(new Error('connection refused'));
    return super.loadSummaries(...args);
  }
}

const options = { batchSize: 10, batchMs: 5, maxRetries: 2, retryBackoffMs: 1, unavailableBackoffMaxMs: 20, logger: pino({ level: 'silent' }) };
const until = async (check: () => boolean) => { for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 5)); };
const delivery = (s: StoredEvent): ProjectionDelivery => ({ ackId: s.eventId, stored: s, retryCount: 0 });

describe('DeliveryBatcher', () => {
  test('closes a batch at max size, and a partial one after the wait', async () => {
    async function* items() { for (let i = 0; i < 25; i += 1) yield i; }
    const batcher = new DeliveryBatcher(items());
    expect(await batcher.next(10, 1_000)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await batcher.next(10, 1_000)).toHaveLength(10);
    expect(await batcher.next(10, 5)).toEqual([20, 21, 22, 23, 24]);
    expect(await batcher.next(10, 5)).toBeUndefined();
  });
});

describe('AccountProjector consume loop', () => {
  test('acks only after the store write; the documents are the fold', async () => {
    const store = new InMemoryReadModelStore();
    const source = new ScriptedSource([0, 1, 2].map((i) => delivery(stored(i))));
    const p = new AccountProjector(() => source, new AccountProjectionWriter(store, { readAccount: async () => [] }), store, async () => DEFAULT_TARGETS, options);
    p.start();
    await until(() => source.settled.length === 3);
    await p.stop();
    expect(source.settled).toEqual(history.map((e) => `ack ${e.eventId}`));
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
  });

  test('an undecodable event is retried with backoff, then parked and its account held', async () => {
    const store = new InMemoryReadModelStore();
    const bad = stored(1, { amount: 'ten' });
    const source = new ScriptedSource([delivery(stored(0)), delivery(bad)]);
    const p = new AccountProjector(() => source, new AccountProjectionWriter(store, { readAccount: async () => [] }), store, async () => DEFAULT_TARGETS, options);
    p.start();
    await until(() => source.settled.some((s) => s.startsWith('park')));
    await p.stop();
    expect(source.settled).toEqual([`ack ${history[0]!.eventId}`, `retry ${bad.eventId}`, `retry ${bad.eventId}`, `park ${bad.eventId}`]);
    expect(store.holds.get(ACCOUNT)).toMatchObject({ revision: 1n, eventId: bad.eventId });
    expect(p.progress.parked).toBe(1);
  });

  test('while the store is unavailable the batch is held: nothing acked, nothing parked, then written', async () => {
    const store = new FlakyStore(3);
    const flaky = store;
    const source = new ScriptedSource([0, 1].map((i) => delivery(stored(i))));
    const p = new AccountProjector(() => source, new AccountProjectionWriter(flaky, { readAccount: async () => [] }), flaky, async () => DEFAULT_TARGETS, options);
    p.start();
    await until(() => source.settled.length === 2);
    await p.stop();
    expect(store.failures).toBeLessThan(0);
    expect(source.settled).toEqual([`ack ${history[0]!.eventId}`, `ack ${history[1]!.eventId}`]);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history.slice(0, 2)));
  });
});
