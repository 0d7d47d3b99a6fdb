import type { ProjectionDelivery, ProjectionSource } from '../src/readmodels/projection-source.js';
import type { StoredEvent } from '../src/readmodels/recorded-account-event.js';
import type { ReadModelStore } from '../src/readmodels/read-model-store.js';

/** Deliveries already in memory: times the consume loop, folds and batch writer with no subscription in the way. */
export class InMemorySource implements ProjectionSource {
  acked = 0;
  private stopped = false;
  constructor(private readonly events: readonly StoredEvent[]) {}

  async *deliveries(): AsyncGenerator<ProjectionDelivery> {
    let i = 0;
    for (const stored of this.events) {
      if (this.stopped) return;
      yield { ackId: stored.eventId, stored, retryCount: 0 };
      // Let the batcher's timers and the loop run, as a network source would.
      if (++i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    while (!this.stopped) await new Promise((r) => setTimeout(r, 5));
  }
  async ack(ids: readonly string[]): Promise<void> {
    this.acked += ids.length;
  }
  async retry(): Promise<void> {}
  async park(): Promise<void> {}
  async close(): Promise<void> {
    this.stopped = true;
  }
}

/** Wraps a store to time its calls: the Mongo write step, counted apart from the rest. */
export function timedStore<S extends ReadModelStore>(store: S): { store: ReadModelStore; ms: () => number; writes: () => number } {
  let ms = 0;
  let writes = 0;
  const timed = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const t = performance.now();
    try {
      return await fn(...args);
    } finally {
      ms += performance.now() - t;
    }
  };
  return {
    store: {
      loadSummaries: timed(store.loadSummaries.bind(store)),
      writeBatch: timed(async (targets, batch) => {
        writes += 1;
        return store.writeBatch(targets, batch);
      }),
      loadHolds: timed(store.loadHolds.bind(store)),
      putHold: timed(store.putHold.bind(store)),
      releaseHold: timed(store.releaseHold.bind(store)),
      countHolds: timed(store.countHolds.bind(store)),
    },
    ms: () => ms,
    writes: () => writes,
  };
}
