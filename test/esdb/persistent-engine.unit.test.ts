import { describe, expect, it } from 'vitest';
import { CheckpointTracker } from '../../src/esdb-server/persistent/checkpoint-tracker.js';
import { allFilter } from '../../src/esdb-server/persistent/event-source.js';
import { createConsumerStrategy, type Consumer } from '../../src/esdb-server/persistent/consumer-strategy.js';
import { fromConfigEntry, toConfigEntry, type GroupDefinition } from '../../src/esdb-server/persistent/group-definition.js';
import type { GroupMessage } from '../../src/esdb-server/persistent/group-message.js';
import type { GroupSettings } from '../../src/esdb-server/persistent/group-settings.js';
import { SubscriptionGroup } from '../../src/esdb-server/persistent/subscription-group.js';
import type { RecordedEvent } from '../../src/esdb-server/store/types.js';
import { MemoryLog } from './persistent-memory-log.js';

const settings: GroupSettings = {
  resolveLinkTos: false,
  extraStatistics: false,
  messageTimeoutMs: 0,
  maxRetryCount: 2,
  liveBufferSize: 10,
  readBatchSize: 5,
  historyBufferSize: 10,
  checkPointAfterMs: 60_000,
  minCheckPointCount: 1,
  maxCheckPointCount: 3,
  maxSubscriberCount: 0,
  consumerStrategy: 'RoundRobin',
};

const streamGroup = (over: Partial<GroupSettings> = {}): GroupDefinition => ({
  source: { kind: 'stream', streamId: 'orders' },
  group: 'g',
  startFrom: { kind: 'start' },
  settings: { ...settings, ...over },
});

const event = (n: number) => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'Numbered',
  contentType: 'application/json',
  data: Buffer.from(JSON.stringify({ n })),
  metadata: new Uint8Array(),
});

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** Given a log with `count` events and a group connected to one consumer, returns what the consumer receives. */
async function given(count: number, over: Partial<GroupSettings> = {}, bufferSize = 10) {
  const log = new MemoryLog();
  await log.append('orders', Array.from({ length: count }, (_, i) => event(i)));
  const group = new SubscriptionGroup(log, streamGroup(over));
  const received: GroupMessage[] = [];
  group.connect({ deliver: (m) => void received.push(m), drop: () => undefined }, bufferSize, { from: 'test', connectionName: 'c', username: '' });
  await settle();
  return { log, group, received };
}

const revisions = (ms: readonly GroupMessage[]): bigint[] => ms.map((m) => m.event.event?.revision ?? -1n);

describe('SubscriptionGroup (pure, over an in-memory log)', () => {
  it('delivers up to the consumer buffer size, and more as acks free slots', async () => {
    const { group, received } = await given(5, {}, 2);
    expect(revisions(received)).toEqual([0n, 1n]);
    group.ack(received.map((m) => m.id));
    await settle();
    expect(revisions(received)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('retries with a rising retry count, then parks once maxRetryCount is spent', async () => {
    const { log, group, received } = await given(1, { maxRetryCount: 2 });
    for (let i = 0; i < 3; i++) {
      const last = received[received.length - 1];
      group.nack([last?.id ?? ''], 'retry', 'flaky');
      await settle();
    }
    expect(received.map((m) => m.retryCount)).toEqual([0, 1, 2]);
    const parked = log.records.filter((r: RecordedEvent) => r.streamId === '$persistentsubscription-orders::g-parked');
    expect(parked.map((r) => Buffer.from(r.data).toString())).toEqual(['0@orders']);
    expect(group.storage.parkedRange()).toEqual({ first: 0n, end: 1n });
  });

  it('checkpoints the contiguous acknowledged prefix once maxCheckPointCount events are done', async () => {
    const { log, group, received } = await given(4, { maxCheckPointCount: 3 });
    const [m0, m1, m2, m3] = received;
    group.ack([m0?.id ?? '', m2?.id ?? '', m3?.id ?? '']);
    await settle();
    const checkpoints = () => log.records.filter((r) => r.streamId === '$persistentsubscription-orders::g-checkpoint').map((r) => JSON.parse(Buffer.from(r.data).toString()) as unknown);
    expect(checkpoints()).toEqual(['0']);
    group.ack([m1?.id ?? '']);
    group.tick(Date.now() + 120_000);
    await settle();
    expect(checkpoints()).toEqual(['0', '3']);
  });

  it('on the timer, checkpoints only once minCheckPointCount events are done since the last one', async () => {
    const { log, group, received } = await given(4, { minCheckPointCount: 3, maxCheckPointCount: 100, checkPointAfterMs: 0 });
    const checkpoints = () => log.records.filter((r) => r.streamId === '$persistentsubscription-orders::g-checkpoint').length;
    group.ack(received.slice(0, 2).map((m) => m.id));
    group.tick(Date.now());
    await settle();
    expect(checkpoints()).toBe(0);
    group.ack([received[2]?.id ?? '']);
    group.tick(Date.now());
    await settle();
    expect(checkpoints()).toBe(1);
  });

  it('a new group over the same log resumes after the stored checkpoint', async () => {
    const { log, group, received } = await given(5, { maxCheckPointCount: 1 });
    group.ack(received.slice(0, 3).map((m) => m.id));
    await settle();
    await group.shutdown('group_dropped');
    const resumed = new SubscriptionGroup(log, streamGroup());
    const after: GroupMessage[] = [];
    resumed.connect({ deliver: (m) => void after.push(m), drop: () => undefined }, 10, { from: 't', connectionName: 'c', username: '' });
    await settle();
    expect(revisions(after)).toEqual([3n, 4n]);
  });
});

describe('CheckpointTracker', () => {
  it('stays before the oldest unfinished event whatever order events finish in', () => {
    const t = new CheckpointTracker(-1n);
    const [a, b, c] = [t.read(10n), t.read(11n), t.read(12n)];
    t.finish(c);
    t.finish(a);
    expect(t.position()).toBe(10n);
    t.finish(b);
    expect(t.position()).toBe(12n);
  });
});

describe('consumer strategies', () => {
  const consumer = (id: number, slots: number): Consumer => ({ id, availableSlots: () => slots });
  const message = (streamId: string): GroupMessage => ({
    id: streamId,
    retryCount: 0,
    seq: 0,
    event: { event: { streamId } as RecordedEvent, link: undefined, commitPosition: 0n },
  });

  it('RoundRobin alternates and skips consumers without free slots', () => {
    const s = createConsumerStrategy('RoundRobin');
    const cs = [consumer(1, 5), consumer(2, 0), consumer(3, 5)];
    expect([1, 2, 3, 4].map(() => s.pick(cs, message('x'))?.id)).toEqual([1, 3, 1, 3]);
  });

  it('DispatchToSingle fills the first consumer with room', () => {
    const s = createConsumerStrategy('DispatchToSingle');
    expect(s.pick([consumer(1, 0), consumer(2, 3)], message('x'))?.id).toBe(2);
  });

  it('Pinned keeps a stream on its owner, waits when the owner is full, and rehomes it when the owner leaves', () => {
    const s = createConsumerStrategy('Pinned');
    const a = consumer(1, 5);
    const owner = s.pick([a, consumer(2, 5)], message('acct-1'));
    expect(owner?.id).toBe(1);
    expect(s.pick([consumer(1, 0), consumer(2, 5)], message('acct-1'))).toBeUndefined();
    s.removed(a);
    expect(s.pick([consumer(2, 5)], message('acct-1'))?.id).toBe(2);
  });
});

describe('group definitions in $persistentSubscriptionConfig', () => {
  it('round-trip through the config entry, filter and start position included', () => {
    const def: GroupDefinition = {
      source: { kind: 'all', filter: { context: 'streamid', type: 'prefix', data: ['account-', 'loan-'] } },
      group: 'projector',
      startFrom: { kind: 'position', commit: 42n, prepare: 42n },
      settings: { ...settings, consumerStrategy: 'Pinned' },
    };
    expect(fromConfigEntry(JSON.parse(JSON.stringify(toConfigEntry(def))))).toEqual(def);
  });

  it('ignores an entry with an unknown consumer strategy, as the real server does', () => {
    const entry = { ...toConfigEntry(streamGroup()), namedConsumerStrategy: 'Nope' };
    expect(fromConfigEntry(entry)).toBeUndefined();
  });
});

describe('$all filters', () => {
  const record = (streamId: string, type = 'T'): RecordedEvent => ({ streamId, type } as RecordedEvent);

  it('without a filter let system streams through but not the checkpoints and parked messages of $all groups', () => {
    const allowed = allFilter(undefined);
    expect(allowed(record('account-1'))).toBe(true);
    expect(allowed(record('$ce-account'))).toBe(true);
    expect(allowed(record('$persistentsubscription-orders::g-checkpoint'))).toBe(true);
    expect(allowed(record('$persistentsubscription-$all::g-checkpoint'))).toBe(false);
    expect(allowed(record('$persistentsubscription-$all::g-parked'))).toBe(false);
  });

  it('match stream prefixes or an event-type regex', () => {
    const byPrefix = allFilter({ context: 'streamid', type: 'prefix', data: ['account-', 'loan-'] });
    expect([byPrefix(record('account-1')), byPrefix(record('loan-2')), byPrefix(record('card-3'))]).toEqual([true, true, false]);
    const byType = allFilter({ context: 'eventtype', type: 'regex', data: ['^Money(Deposited|Withdrawn)$'] });
    expect([byType(record('a', 'MoneyDeposited')), byType(record('a', 'AccountOpened'))]).toEqual([true, false]);
  });
});

describe('message timeouts, on the real server\'s 1 s tick', () => {
  it('an unacked message is redelivered at the first tick after its timeout, not sooner: an ack a little late is not a retry', async () => {
    const { vi } = await import('vitest');
    const { GroupRegistry } = await import('../../src/esdb-server/persistent/group-registry.js');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const log = new MemoryLog();
      await log.append('orders', [event(0)]);
      const registry = new GroupRegistry(log);
      await registry.start();
      await registry.create(streamGroup({ messageTimeoutMs: 100 }));
      const group = registry.find('orders', 'g') as SubscriptionGroup;
      const received: GroupMessage[] = [];
      group.connect({ deliver: (m) => void received.push(m), drop: () => undefined }, 10, { from: 'test', connectionName: 'c', username: '' });
      await settle();
      expect(received.map((m) => m.retryCount)).toEqual([0]);
      // 500 ms after delivery, five times the timeout: the tick has not come yet (every 100 ms it had).
      vi.advanceTimersByTime(500);
      await settle();
      expect(received.map((m) => m.retryCount)).toEqual([0]);
      vi.advanceTimersByTime(600);
      await settle();
      expect(received.map((m) => m.retryCount)).toEqual([0, 1]);
      await registry.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
