import {
  END,
  PersistentSubscriptionFailedError,
  START,
  persistentSubscriptionToAllSettingsFromDefaults as allSettings,
  persistentSubscriptionToStreamSettingsFromDefaults as streamSettings,
} from './client-under-test.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, collect, eventually, startServer, uniqueStream, type Running } from './persistent-fixture.js';

// Issue 16, items 5 and 10: settings accepted and refused as by the real 23.10
// (the version the server reports), and info fields as it fills them.
let env: Running;
beforeAll(async () => {
  env = await startServer();
});
afterAll(async () => env.stop());

describe('persistent subscription settings, as the real 23.10 takes them', () => {
  it('accepts a min checkpoint count above the max, and other values it does not check', async () => {
    const stream = uniqueStream('lax');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ checkPointLowerBound: 50, checkPointUpperBound: 10 }));
    const { settings } = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(settings).toMatchObject({ checkPointLowerBound: 50, checkPointUpperBound: 10 });
    await env.client.updatePersistentSubscriptionToStream(stream, 'g', streamSettings({ maxRetryCount: -1, checkPointAfter: -5 }));
    expect((await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g')).settings).toMatchObject({ maxRetryCount: -1 });
  });

  it('refuses a read batch size at or above the history buffer size (create and update, stream and $all)', async () => {
    const stream = uniqueStream('batch');
    const refused = (p: Promise<unknown>) => p.then(() => 'accepted', (e: unknown) => e);
    const equal = await refused(env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ readBatchSize: 500, historyBufferSize: 500 })));
    expect(equal).toBeInstanceOf(PersistentSubscriptionFailedError);
    expect((equal as Error).message).toContain('ReadBatchSize may not be greater than or equal to BufferSize');
    expect(await refused(env.client.createPersistentSubscriptionToAll(uniqueStream('g'), allSettings({ readBatchSize: 600, historyBufferSize: 500 })))).toBeInstanceOf(
      PersistentSubscriptionFailedError,
    );
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ readBatchSize: 499, historyBufferSize: 500 }));
    expect(await refused(env.client.updatePersistentSubscriptionToStream(stream, 'g', streamSettings({ readBatchSize: 20, historyBufferSize: 20 })))).toBeInstanceOf(
      PersistentSubscriptionFailedError,
    );
    // The refused update changed nothing.
    expect((await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g')).settings).toMatchObject({ readBatchSize: 499, historyBufferSize: 500 });
  });
});

describe('persistent subscription info, as the real server fills it', () => {
  it('the last known event is absent until the group has read one', async () => {
    const stream = uniqueStream('known');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: END }));
    const before = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.status === 'Live' ? i : undefined;
    });
    expect(before.stats.lastKnownEventRevision).toBeUndefined();
    expect(before.stats.lastCheckpointedEventRevision).toBeUndefined();
    await appendNumbered(env.client, stream, 1, 'Numbered', 3);
    const after = await eventually(async () => (await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g')).stats.lastKnownEventRevision);
    expect(after).toBe(3n);
  });

  it('connection info carries the extra statistics when the group enables them', async () => {
    const stream = uniqueStream('conn');
    await appendNumbered(env.client, stream, 5);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, extraStatistics: true }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 5, (e) => sub.ack(e));
    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.connections[0]?.extraStatistics !== undefined ? i : undefined;
    });
    expect(info.settings.extraStatistics).toBe(true);
    // The real server's RequestStatistics keys (the client lower-cases them), send-to-ack times in ms.
    const stats = info.connections[0]!.extraStatistics!;
    expect([...stats.keys()]).toEqual(
      ['Mean', 'Median', 'Fastest', 'Quintile 1', 'Quintile 2', 'Quintile 3', 'Quintile 4', 'Quintile 5', '90%', '95%', '99%', '99.5%', '99.9%', 'Highest'].map((k) =>
        k.toLowerCase(),
      ),
    );
    expect(stats.get('fastest')! <= stats.get('highest')!).toBe(true);
    // Without credentials (an insecure channel carries none) the user name is empty.
    expect(info.connections[0]!.username).toBe('');
    await sub.unsubscribe();
  });

  it('without extra statistics a connection reports none', async () => {
    const stream = uniqueStream('plain');
    await appendNumbered(env.client, stream, 2);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 2, (e) => sub.ack(e));
    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.connections.length === 1 ? i : undefined;
    });
    expect(info.connections[0]!.extraStatistics).toBeUndefined();
    await sub.unsubscribe();
  });
});
