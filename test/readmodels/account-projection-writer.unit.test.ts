import { describe, expect, test } from 'vitest';
import { encodeEventData, encodeMetadata } from '../../src/domain/event-codec.js';
import { AccountProjectionWriter } from '../../src/readmodels/account-projection-writer.js';
import { InMemoryReadModelStore } from '../../src/readmodels/in-memory-read-model-store.js';
import { DEFAULT_TARGETS } from '../../src/readmodels/read-model-schema.js';
import type { AccountStreamReader } from '../../src/readmodels/read-model-store.js';
import type { RecordedAccountEvent, StoredEvent } from '../../src/readmodels/recorded-account-event.js';
import { ACCOUNT, deposited, foldSummary, opened, recorded, withdrawn } from './given-account-events.js';

/** The account stream as the event store would return it, with optional undecodable revisions. */
function streamOf(events: readonly RecordedAccountEvent[], poison = new Set<bigint>()): AccountStreamReader & { reads: number } {
  const stored: StoredEvent[] = events.map((e) => ({
    eventId: e.eventId,
    streamId: `account-${e.accountId}`,
    revision: e.revision,
    commitPosition: undefined,
    type: e.event!.type,
    data: poison.has(e.revision) ? { amount: 12.5 } : encodeEventData(e.event!),
    metadata: encodeMetadata({ occurredAt: e.occurredAt.toISOString(), commandId: 'c', correlationId: 'c', causationId: 'c', schemaVersion: 1 }),
    created: e.occurredAt,
  }));
  const reader = {
    reads: 0,
    async readAccount(_id: string, from: bigint, to: bigint | undefined) {
      reader.reads += 1;
      return stored.filter((s) => s.revision >= from && (to === undefined || s.revision <= to));
    },
  };
  return reader;
}

const history = recorded(opened(), deposited(1000n), withdrawn(300n), deposited(50n), withdrawn(25n));

describe('AccountProjectionWriter', () => {
  test('in order: every event applied, one store write for the batch', async () => {
    const store = new InMemoryReadModelStore();
    const r = await new AccountProjectionWriter(store, streamOf(history)).project(DEFAULT_TARGETS, history);
    expect([...r.outcomes.values()]).toEqual(['applied', 'applied', 'applied', 'applied', 'applied']);
    expect(r.writes).toBe(1);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
    expect(store.transactions.get('account_transactions')?.size).toBe(4);
  });

  test('given everything applied, a redelivery is a duplicate and writes nothing', async () => {
    const store = new InMemoryReadModelStore();
    const writer = new AccountProjectionWriter(store, streamOf(history));
    await writer.project(DEFAULT_TARGETS, history);
    const again = await writer.project(DEFAULT_TARGETS, [history[2]!, history[4]!]);
    expect([...again.outcomes.values()]).toEqual(['duplicate', 'duplicate']);
    expect(again.writes).toBe(0);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
  });

  test('out of order: a later event first fills the gap from the stream', async () => {
    const store = new InMemoryReadModelStore();
    const stream = streamOf(history);
    const writer = new AccountProjectionWriter(store, stream);
    await writer.project(DEFAULT_TARGETS, history.slice(0, 2));
    const late = await writer.project(DEFAULT_TARGETS, [history[4]!]);
    expect(late.outcomes.get(history[4]!.eventId)).toBe('gap');
    expect(stream.reads).toBe(1);
    const early = await writer.project(DEFAULT_TARGETS, [history[2]!, history[3]!]);
    expect([...early.outcomes.values()]).toEqual(['duplicate', 'duplicate']);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
    expect([...store.transactions.get('account_transactions')!.values()].map((t) => t.balance_after)).toEqual([1000n, 700n, 750n, 725n]);
  });

  test('an undecodable event in the stream holds the account; later events are not applied over it', async () => {
    const store = new InMemoryReadModelStore();
    const writer = new AccountProjectionWriter(store, streamOf(history, new Set([2n])));
    await writer.project(DEFAULT_TARGETS, history.slice(0, 2));
    const r = await writer.project(DEFAULT_TARGETS, [history[3]!, history[4]!]);
    expect([...r.outcomes.values()]).toEqual(['held', 'held']);
    expect(store.holds.get(ACCOUNT)?.revision).toBe(2n);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)?.revision).toBe(1n);
  });

  test('events before the undecodable one in the same batch still apply', async () => {
    const store = new InMemoryReadModelStore();
    const writer = new AccountProjectionWriter(store, streamOf(history, new Set([2n])));
    const r = await writer.project(DEFAULT_TARGETS, [history[0]!, history[1]!, history[3]!]);
    expect([...r.outcomes.values()]).toEqual(['gap', 'gap', 'held']);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history.slice(0, 2)));
    expect(store.holds.get(ACCOUNT)?.revision).toBe(2n);
  });

  test('when the held event is applied after repair, the account catches up to the end of its stream', async () => {
    const store = new InMemoryReadModelStore();
    await new AccountProjectionWriter(store, streamOf(history, new Set([2n]))).project(DEFAULT_TARGETS, history.slice(0, 2));
    await new AccountProjectionWriter(store, streamOf(history, new Set([2n]))).project(DEFAULT_TARGETS, [history[3]!]);
    // Repaired: the stream now decodes; the replayed event arrives on its own.
    const repaired = new AccountProjectionWriter(store, streamOf(history));
    const r = await repaired.project(DEFAULT_TARGETS, [history[2]!]);
    expect(r.outcomes.get(history[2]!.eventId)).toBe('applied');
    expect(store.holds.size).toBe(0);
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
  });

  test('a guard lost to another writer is re-read and re-folded, never overwritten', async () => {
    const store = new InMemoryReadModelStore();
    const stream = streamOf(history);
    await new AccountProjectionWriter(store, stream).project(DEFAULT_TARGETS, history.slice(0, 2));
    // Another consumer moves the account to revision 3 between our load and our write.
    const loadSummaries = store.loadSummaries.bind(store);
    let first = true;
    store.loadSummaries = async (targets, ids) => {
      const loaded = await loadSummaries(targets, ids);
      if (first) {
        first = false;
        await new AccountProjectionWriter(store, stream).project(DEFAULT_TARGETS, history.slice(2, 4));
      }
      return loaded;
    };
    const r = await new AccountProjectionWriter(store, stream).project(DEFAULT_TARGETS, history.slice(2));
    expect(r.writes).toBe(2);
    expect(r.outcomes.get(history[4]!.eventId)).toBe('applied');
    expect(store.summaries.get('account_summaries')?.get(ACCOUNT)).toEqual(foldSummary(history));
  });
});
