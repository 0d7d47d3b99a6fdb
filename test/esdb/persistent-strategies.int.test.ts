import { START, jsonEvent, persistentSubscriptionToAllSettingsFromDefaults as allSettings, persistentSubscriptionToStreamSettingsFromDefaults as streamSettings, streamNameFilter } from './client-under-test.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, collect, startServer, uniqueStream, type Delivery, type Running } from './persistent-fixture.js';

let env: Running;
beforeAll(async () => {
  env = await startServer();
});
afterAll(async () => env.stop());

/** Connects two consumers and waits until both are confirmed, so the group knows both before events flow. */
async function twoConsumers(stream: string, bufferSize: number) {
  const a = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize });
  await new Promise((r) => a.once('confirmation', r));
  const b = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize });
  await new Promise((r) => b.once('confirmation', r));
  return { a, b };
}

/** Collects `total` deliveries across both consumers, acking each, and tells which consumer got what. */
function split(a: ReturnType<typeof env.client.subscribeToPersistentSubscriptionToStream>, b: typeof a, total: number) {
  const got: { by: 'a' | 'b'; e: Delivery }[] = [];
  return new Promise<typeof got>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${got.length}/${total}`)), 5_000);
    const on = (by: 'a' | 'b', sub: typeof a) => (e: Delivery) => {
      got.push({ by, e });
      void sub.ack(e).then(() => {
        if (got.length === total) {
          clearTimeout(timer);
          resolve(got);
        }
      });
    };
    a.on('data', on('a', a));
    b.on('data', on('b', b));
  });
}

describe('consumer strategies with two consumers on one group', () => {
  it('RoundRobin alternates deliveries between the consumers', async () => {
    const stream = uniqueStream('rr');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, consumerStrategyName: 'RoundRobin' }));
    const { a, b } = await twoConsumers(stream, 10);
    const result = split(a, b, 10);
    await appendNumbered(env.client, stream, 10);
    const got = await result;
    const byA = got.filter((g) => g.by === 'a').length;
    expect(byA).toBe(5);
    expect(got.length - byA).toBe(5);
    await Promise.all([a.unsubscribe(), b.unsubscribe()]);
  });

  it('DispatchToSingle gives everything to the first consumer while it has room', async () => {
    const stream = uniqueStream('single');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, consumerStrategyName: 'DispatchToSingle' }));
    const { a, b } = await twoConsumers(stream, 50);
    const result = split(a, b, 10);
    await appendNumbered(env.client, stream, 10);
    const got = await result;
    expect(got.every((g) => g.by === 'a')).toBe(true);
    await Promise.all([a.unsubscribe(), b.unsubscribe()]);
  });

  it('DispatchToSingle spills to the second consumer when the first is full', async () => {
    const stream = uniqueStream('spill');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, consumerStrategyName: 'DispatchToSingle' }));
    const { a, b } = await twoConsumers(stream, 2);
    const fromB = collect(b, 2, () => undefined);
    const fromA = collect(a, 2, () => undefined);
    await appendNumbered(env.client, stream, 4);
    expect((await fromA).length).toBe(2);
    expect((await fromB).length).toBe(2);
    await Promise.all([a.unsubscribe(), b.unsubscribe()]);
  });

  it('Pinned keeps every event of one source stream on one consumer', async () => {
    const group = uniqueStream('pinned');
    const prefix = `${uniqueStream('pin')}-`;
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START, consumerStrategyName: 'Pinned' }), {
      filter: streamNameFilter({ prefixes: [prefix] }),
    });
    const a = env.client.subscribeToPersistentSubscriptionToAll(group, { bufferSize: 100 });
    await new Promise((r) => a.once('confirmation', r));
    const b = env.client.subscribeToPersistentSubscriptionToAll(group, { bufferSize: 100 });
    await new Promise((r) => b.once('confirmation', r));
    const streams = Array.from({ length: 8 }, (_, i) => `${prefix}${i}`);
    const result = split(a, b, streams.length * 3);
    for (let round = 0; round < 3; round++) {
      for (const s of streams) await env.client.appendToStream(s, jsonEvent({ type: 'Numbered', data: { n: round } }));
    }
    const got = await result;
    const owners = new Map<string, Set<string>>();
    for (const { by, e } of got) {
      const s = e.event?.streamId ?? '';
      owners.set(s, (owners.get(s) ?? new Set()).add(by));
    }
    expect(owners.size).toBe(streams.length);
    expect([...owners.values()].every((o) => o.size === 1)).toBe(true);
    // Both consumers take part: buckets are spread over them.
    expect(new Set(got.map((g) => g.by)).size).toBe(2);
    await Promise.all([a.unsubscribe(), b.unsubscribe()]);
  });
});
