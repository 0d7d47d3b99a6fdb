import {
  END,
  PersistentSubscriptionDoesNotExistError,
  PersistentSubscriptionDroppedError,
  PersistentSubscriptionExistsError,
  PersistentSubscriptionFailedError,
  PersistentSubscriptionMaximumSubscribersReachedError,
  START,
  StreamNotFoundError,
  persistentSubscriptionToAllSettingsFromDefaults as allSettings,
  persistentSubscriptionToStreamSettingsFromDefaults as streamSettings,
  streamNameFilter,
} from './client-under-test.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, collect, eventually, failureOf, startServer, uniqueStream, type Running } from './persistent-fixture.js';

let env: Running;
beforeAll(async () => {
  env = await startServer();
});
afterAll(async () => env.stop());

describe('persistent subscription administration through the client', () => {
  it('creates a group once; a second create answers PersistentSubscriptionExistsError', async () => {
    const stream = uniqueStream('admin');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    await expect(env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings())).rejects.toBeInstanceOf(PersistentSubscriptionExistsError);
    const info = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.settings.startFrom).toBe(START);
    expect(info.groupName).toBe('g');
    expect(info.eventSource).toBe(stream);
  });

  it('an idle group reads ahead into its buffer and reports itself live, as the real server does', async () => {
    const stream = uniqueStream('idle');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.status === 'Live' ? i : undefined;
    });
    expect(info.stats.readBufferCount).toBe(3);
    expect(info.stats.lastKnownEventRevision).toBe(2n);
    expect(info.stats.lastCheckpointedEventRevision).toBeUndefined();
    expect(info.connections).toEqual([]);
  });

  it('updates the settings of a group and reports them in its info', async () => {
    const stream = uniqueStream('admin');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings());
    await env.client.updatePersistentSubscriptionToStream(
      stream,
      'g',
      streamSettings({ startFrom: 5n, maxRetryCount: 3, messageTimeout: 1234, consumerStrategyName: 'Pinned', maxSubscriberCount: 2, checkPointLowerBound: 4, checkPointUpperBound: 40 }),
    );
    const { settings } = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(settings).toMatchObject({ startFrom: 5n, maxRetryCount: 3, messageTimeout: 1234, consumerStrategyName: 'Pinned', maxSubscriberCount: 2, checkPointLowerBound: 4, checkPointUpperBound: 40 });
  });

  it('updating a group drops its subscribers (PersistentSubscriptionDroppedError); they reconnect under the new settings', async () => {
    const stream = uniqueStream('admin');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await new Promise((r) => sub.once('confirmation', r));
    const dropped = failureOf(sub);
    await env.client.updatePersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 1 }));
    expect(await dropped).toBeInstanceOf(PersistentSubscriptionDroppedError);
    const info = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.settings.maxRetryCount).toBe(1);
    expect(info.connections).toEqual([]);
  });

  it('answers PersistentSubscriptionDoesNotExistError for update, delete, info and replay of an unknown group', async () => {
    const stream = uniqueStream('admin');
    await expect(env.client.updatePersistentSubscriptionToStream(stream, 'nope', streamSettings())).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    await expect(env.client.deletePersistentSubscriptionToStream(stream, 'nope')).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    await expect(env.client.getPersistentSubscriptionToStreamInfo(stream, 'nope')).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    await expect(env.client.replayParkedMessagesToStream(stream, 'nope')).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    await expect(env.client.deletePersistentSubscriptionToAll('nope')).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
  });

  it('reading an unknown group ends the subscription with PersistentSubscriptionDoesNotExistError', async () => {
    const sub = env.client.subscribeToPersistentSubscriptionToStream(uniqueStream('admin'), 'nope');
    const err = await failureOf(sub);
    expect(err).toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
  });

  it('deleting a group ends its subscribers with does-not-exist, and the group can be created anew from scratch', async () => {
    const stream = uniqueStream('admin');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, checkPointLowerBound: 1, checkPointUpperBound: 1 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 3, (e) => sub.ack(e));
    const failed = failureOf(sub);
    await env.client.deletePersistentSubscriptionToStream(stream, 'g');
    expect(await failed).toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    await expect(env.client.getPersistentSubscriptionToStreamInfo(stream, 'g')).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
    // Its checkpoint stream is soft-deleted, as the real server does.
    const readCheckpoints = async (): Promise<number> => {
      let n = 0;
      for await (const _ of env.client.readStream(`$persistentsubscription-${stream}::g-checkpoint`)) n++;
      return n;
    };
    await expect(readCheckpoints()).rejects.toBeInstanceOf(StreamNotFoundError);

    // The old checkpoint must not leak into the new group of the same name.
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const again = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(again, 3, (e) => again.ack(e));
    expect(seen.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n]);
    await again.unsubscribe();
  });

  it('lists all groups, the groups of one stream, and answers does-not-exist for a stream without groups', async () => {
    const a = uniqueStream('list');
    const b = uniqueStream('list');
    await env.client.createPersistentSubscriptionToStream(a, 'g1', streamSettings());
    await env.client.createPersistentSubscriptionToStream(a, 'g2', streamSettings());
    await env.client.createPersistentSubscriptionToStream(b, 'g1', streamSettings());
    const all = await env.client.listAllPersistentSubscriptions();
    const names = all.map((i) => `${i.eventSource}::${i.groupName}`);
    expect(names).toEqual(expect.arrayContaining([`${a}::g1`, `${a}::g2`, `${b}::g1`]));
    const ofA = await env.client.listPersistentSubscriptionsToStream(a);
    expect(ofA.map((i) => i.groupName).sort()).toEqual(['g1', 'g2']);
    await expect(env.client.listPersistentSubscriptionsToStream(uniqueStream('none'))).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
  });

  it('creates, reads back and deletes a filtered $all group', async () => {
    const group = uniqueStream('all-admin');
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: END }), { filter: streamNameFilter({ prefixes: ['account-'] }) });
    await expect(env.client.createPersistentSubscriptionToAll(group, allSettings())).rejects.toBeInstanceOf(PersistentSubscriptionExistsError);
    const info = await env.client.getPersistentSubscriptionToAllInfo(group);
    expect(info.eventSource).toBe('$all');
    expect(info.settings.startFrom).toBe(END);
    const listed = await env.client.listPersistentSubscriptionsToAll();
    expect(listed.map((i) => i.groupName)).toContain(group);
    await env.client.deletePersistentSubscriptionToAll(group);
    await expect(env.client.getPersistentSubscriptionToAllInfo(group)).rejects.toBeInstanceOf(PersistentSubscriptionDoesNotExistError);
  });

  it('refuses a $all start position past the end of the log with PersistentSubscriptionFailedError', async () => {
    const far = { commit: 10n ** 15n, prepare: 10n ** 15n };
    await expect(env.client.createPersistentSubscriptionToAll(uniqueStream('far'), allSettings({ startFrom: far }))).rejects.toBeInstanceOf(PersistentSubscriptionFailedError);
  });

  it('refuses a subscriber beyond maxSubscriberCount with PersistentSubscriptionMaximumSubscribersReachedError', async () => {
    const stream = uniqueStream('max');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ maxSubscriberCount: 1 }));
    const first = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await new Promise((r) => first.once('confirmation', r));
    const second = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    expect(await failureOf(second)).toBeInstanceOf(PersistentSubscriptionMaximumSubscribersReachedError);
    await first.unsubscribe();
  });

  it('restarting the subsystem drops subscribers, which can then reconnect to the same groups', async () => {
    const stream = uniqueStream('restart');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await new Promise((r) => sub.once('confirmation', r));
    const dropped = failureOf(sub);
    await env.client.restartPersistentSubscriptionSubsystem();
    expect(await dropped).toBeInstanceOf(PersistentSubscriptionDroppedError);
    await appendNumbered(env.client, stream, 2);
    const again = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(again, 2, (e) => again.ack(e));
    expect(seen.map((e) => e.event?.revision)).toEqual([0n, 1n]);
    await again.unsubscribe();
  });
});
