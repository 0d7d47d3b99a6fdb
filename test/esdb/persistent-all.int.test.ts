import { START, eventTypeFilter, jsonEvent, persistentSubscriptionToAllSettingsFromDefaults as allSettings, persistentSubscriptionToStreamSettingsFromDefaults as streamSettings, streamNameFilter } from './client-under-test.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, startServer, uniqueStream, type Delivery, type Running } from './persistent-fixture.js';

let env: Running;
beforeAll(async () => {
  // With the standard projections: filtered groups must skip their $ce-/$et- links, and a group reads $ce-.
  env = await startServer({ systemProjections: true });
});
afterAll(async () => env.stop());

describe('persistent subscriptions to $all', () => {
  it('a stream-prefix filtered group gets only the matching streams, in log order, with positions', async () => {
    const prefix = `${uniqueStream('acct')}-`;
    const group = uniqueStream('all-prefix');
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START }), { filter: streamNameFilter({ prefixes: [prefix] }) });
    await env.client.appendToStream(`${prefix}1`, jsonEvent({ type: 'Opened', data: { n: 1 } }));
    await env.client.appendToStream(uniqueStream('other'), jsonEvent({ type: 'Opened', data: { n: 99 } }));
    await env.client.appendToStream(`${prefix}2`, jsonEvent({ type: 'Opened', data: { n: 2 } }));
    const sub = env.client.subscribeToPersistentSubscriptionToAll(group);
    const seen = await collect(sub, 2, (e) => sub.ack(e));
    expect(seen.map((e) => e.event?.streamId)).toEqual([`${prefix}1`, `${prefix}2`]);
    const [first, second] = seen.map((e) => e.event?.position?.commit ?? -1n);
    expect(first).toBeGreaterThan(0n);
    expect(second).toBeGreaterThan(first ?? 0n);
    await sub.unsubscribe();
  });

  it('an event-type regex filtered group gets only the matching types, live as they are appended', async () => {
    const type = `Deposited${uniqueStream('t').replace(/-/g, '')}`;
    const group = uniqueStream('all-type');
    await env.client.createPersistentSubscriptionToAll(group, allSettings(), { filter: eventTypeFilter({ regex: `^${type}$` }) });
    const sub = env.client.subscribeToPersistentSubscriptionToAll(group);
    await new Promise((r) => sub.once('confirmation', r));
    const stream = uniqueStream('mixed');
    const result = collect(sub, 2, (e) => sub.ack(e));
    await env.client.appendToStream(stream, [
      jsonEvent({ type, data: { n: 0 } }),
      jsonEvent({ type: 'Withdrawn', data: { n: 1 } }),
      jsonEvent({ type, data: { n: 2 } }),
    ]);
    const seen = await result;
    expect(seen.map((e) => (e.event?.data as { n: number }).n)).toEqual([0, 2]);
    await sub.unsubscribe();
  });

  it('updating a filtered $all group keeps its filter (the update request carries none)', async () => {
    const prefix = `${uniqueStream('keep')}-`;
    const group = uniqueStream('all-update');
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START }), { filter: streamNameFilter({ prefixes: [prefix] }) });
    await env.client.updatePersistentSubscriptionToAll(group, allSettings({ startFrom: START, maxRetryCount: 2 }));
    await env.client.appendToStream(uniqueStream('outside'), jsonEvent({ type: 'Opened', data: { n: 0 } }));
    await env.client.appendToStream(`${prefix}1`, jsonEvent({ type: 'Opened', data: { n: 1 } }));
    const sub = env.client.subscribeToPersistentSubscriptionToAll(group);
    const seen = await collect(sub, 1, (e) => sub.ack(e));
    expect(seen.map((e) => e.event?.streamId)).toEqual([`${prefix}1`]);
    expect((await env.client.getPersistentSubscriptionToAllInfo(group)).settings.maxRetryCount).toBe(2);
    await sub.unsubscribe();
  });

  it('an unfiltered $all group never receives the checkpoints of $all groups', async () => {
    const group = uniqueStream('all-nofilter');
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START, checkPointLowerBound: 1, checkPointUpperBound: 1, checkPointAfter: 0 }));
    const sub = env.client.subscribeToPersistentSubscriptionToAll(group, { bufferSize: 100 });
    const marker = uniqueStream('marker');
    const seen: Delivery[] = [];
    const done = new Promise<void>((resolve) => {
      sub.on('data', (e: Delivery) => {
        seen.push(e);
        void sub.ack(e);
        if (e.event?.streamId === marker && (e.event.data as { n: number }).n === 2) resolve();
      });
    });
    for (let n = 0; n < 3; n++) {
      await env.client.appendToStream(marker, jsonEvent({ type: 'Marker', data: { n } }));
      await new Promise((r) => setTimeout(r, 150));
    }
    await done;
    const markers = seen.filter((e) => e.event?.streamId === marker);
    expect(markers.length).toBe(3);
    expect(seen.some((e) => (e.event?.streamId ?? '').startsWith('$persistentsubscription-$all::'))).toBe(false);
    await sub.unsubscribe();
  });

  it('a stream group with resolveLinkTos on a category stream delivers the linked events with their links', async () => {
    const category = uniqueStream('cat').replace(/-/g, '');
    const stream = `${category}-1`;
    await env.client.appendToStream(stream, [jsonEvent({ type: 'A', data: { n: 0 } }), jsonEvent({ type: 'B', data: { n: 1 } })]);
    // The category stream comes from the store's $by_category projection.
    await env.client.createPersistentSubscriptionToStream(`$ce-${category}`, 'g', streamSettings({ startFrom: START, resolveLinkTos: true }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(`$ce-${category}`, 'g');
    const seen = await collect(sub, 2, (e) => sub.ack(e));
    expect(seen.map((e) => e.event?.streamId)).toEqual([stream, stream]);
    expect(seen.map((e) => e.event?.type)).toEqual(['A', 'B']);
    expect(seen.map((e) => e.link?.streamId)).toEqual([`$ce-${category}`, `$ce-${category}`]);
    await sub.unsubscribe();
  });
});
