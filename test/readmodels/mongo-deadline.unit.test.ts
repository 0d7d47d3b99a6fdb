import type { Db } from 'mongodb';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { MongoDeadlineExceeded, withDeadline } from '../../src/readmodels/mongo-deadline.js';
import { MongoReadModelStore } from '../../src/readmodels/mongo-read-model-store.js';
import { ReadModelUnavailable } from '../../src/readmodels/read-model-unavailable.js';
import { DEFAULT_TARGETS } from '../../src/readmodels/read-model-schema.js';
import { readStoreProfile } from '../../src/readmodels/read-store-profile.js';

// A server that never answers (FerretDB 1.24 on 100+ filtered updates in one
// bulkWrite, issue 11) stands here as a call whose promise never settles;
// fake timers make the deadline pass without waiting for it.
const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** A Db whose every collection call hangs: only the shape MongoReadModelStore touches. */
const hangingDb = {
  collection: () => ({
    find: () => ({ toArray: never }),
    bulkWrite: never,
    estimatedDocumentCount: never,
  }),
} as unknown as Db;

afterEach(() => {
  vi.useRealTimers();
});

describe('deadlines on read-store calls', () => {
  test('given a call that never answers, when its deadline passes, then it fails as ReadModelUnavailable naming the operation', async () => {
    vi.useFakeTimers();
    const outcome = withDeadline('bulkWrite of 100 to account_summaries', 30_000, never).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(30_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(ReadModelUnavailable);
    expect((err as ReadModelUnavailable).cause).toEqual(new MongoDeadlineExceeded('bulkWrite of 100 to account_summaries', 30_000));
  });

  test('given a call that answers in time, its answer comes through and no timer is left', async () => {
    vi.useFakeTimers();
    await expect(withDeadline('find', 1_000, async () => 42)).resolves.toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('given a hanging server, the store fails a write batch and a summaries load at the profile deadline instead of hanging', async () => {
    vi.useFakeTimers();
    const store = new MongoReadModelStore(hangingDb, readStoreProfile('ferretdb', { opTimeoutMs: 5_000 }));
    const load = store.loadSummaries(DEFAULT_TARGETS, ['a']).catch((err: unknown) => err);
    const transaction = { _id: 'e1', account_id: 'a', type: 'deposit' as const, amount: 1n, balance_after: 1n, occurred_at: new Date(0), revision: 1n };
    const write = store.writeBatch(DEFAULT_TARGETS, { transactions: [transaction], summaries: [] }).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await load).toBeInstanceOf(ReadModelUnavailable);
    expect(await write).toBeInstanceOf(ReadModelUnavailable);
  });
});
