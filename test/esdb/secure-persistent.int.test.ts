import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  AccessDeniedError,
  START,
  persistentSubscriptionToAllSettingsFromDefaults as allSettings,
  persistentSubscriptionToStreamSettingsFromDefaults as streamSettings,
  type EventStoreDBClient,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToStream,
} from '@eventstore/db-client';
import { deposits, uniqueStream } from './esdb-fixture.js';
import { createUser, rejection, startSecureFixture, subscriptionRefusal, type SecureFixture } from './secure-fixture.js';

// Issue 16: persistent subscriptions in secure mode, by 23.10's legacy
// policy: managing groups takes $ops or $admins, info any authenticated
// user, consuming an authenticated user who may read the group's stream.
let node: SecureFixture;
let admin: EventStoreDBClient;
let ops: EventStoreDBClient;
let anonymous: EventStoreDBClient;

beforeAll(async () => {
  node = await startSecureFixture();
  admin = node.clientAs('admin');
  ops = node.clientAs('ops');
  anonymous = node.clientAs();
}, 30_000);
afterAll(() => node?.close());

/** The first delivery of a subscription (acked), or the error it ends with. */
const firstDelivery = (sub: PersistentSubscriptionToStream | PersistentSubscriptionToAll): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no delivery within 5 s')), 5_000);
    sub.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    sub.once('data', (e: Parameters<typeof sub.ack>[0]) => {
      clearTimeout(timer);
      void sub.ack(e).then(() => resolve(e.event?.streamId));
    });
  });

describe('managing groups', () => {
  test('ops and admins create, update and delete groups; anonymous callers are refused', async () => {
    const stream = uniqueStream('ps');
    expect(await rejection(anonymous.createPersistentSubscriptionToStream(stream, 'g', streamSettings()))).toBeInstanceOf(AccessDeniedError);
    await ops.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    await ops.updatePersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 3 }));
    expect(await rejection(anonymous.deletePersistentSubscriptionToStream(stream, 'g'))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(anonymous.getPersistentSubscriptionToStreamInfo(stream, 'g'))).toBeInstanceOf(AccessDeniedError);
    expect((await ops.getPersistentSubscriptionToStreamInfo(stream, 'g')).settings.maxRetryCount).toBe(3);
    await admin.deletePersistentSubscriptionToStream(stream, 'g');
  });

  test('a user outside $ops and $admins reads info but does not manage groups', async () => {
    const stream = uniqueStream('ps');
    await admin.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    await createUser(node.users, 'teller', 'teller-pw');
    const teller = node.clientAs('teller', 'teller-pw');
    expect((await teller.getPersistentSubscriptionToStreamInfo(stream, 'g')).groupName).toBe('g');
    expect(await rejection(teller.createPersistentSubscriptionToStream(uniqueStream('ps'), 'g', streamSettings()))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(teller.deletePersistentSubscriptionToStream(stream, 'g'))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(teller.replayParkedMessagesToStream(stream, 'g'))).toBeInstanceOf(AccessDeniedError);
  });
});

describe('consuming', () => {
  test('a consumer who may read the stream gets its events, and the connection shows the user name', async () => {
    const stream = uniqueStream('ps');
    await admin.appendToStream(stream, deposits(1));
    await admin.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = ops.subscribeToPersistentSubscriptionToStream(stream, 'g');
    try {
      expect(await firstDelivery(sub)).toBe(stream);
      const info = await admin.getPersistentSubscriptionToStreamInfo(stream, 'g');
      expect(info.connections.map((c) => c.username)).toEqual(['ops']);
    } finally {
      await sub.unsubscribe();
    }
  });

  test('a consumer the stream’s read ACL leaves out is refused, and anonymous consumers always', async () => {
    const stream = uniqueStream('ps');
    await admin.setStreamMetadata(stream, { acl: { readRoles: ['$admins'] } });
    await admin.appendToStream(stream, deposits(1));
    await admin.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    for (const client of [ops, anonymous]) {
      const sub = client.subscribeToPersistentSubscriptionToStream(stream, 'g');
      expect(await subscriptionRefusal(sub)).toBeInstanceOf(AccessDeniedError);
      await sub.unsubscribe();
    }
    const allowed = admin.subscribeToPersistentSubscriptionToStream(stream, 'g');
    expect(await firstDelivery(allowed)).toBe(stream);
    await allowed.unsubscribe();
  });

  test('a $all group is consumed by admins only ($all is a system stream)', async () => {
    const group = uniqueStream('all-group');
    await ops.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START }));
    const refused = ops.subscribeToPersistentSubscriptionToAll(group);
    expect(await subscriptionRefusal(refused)).toBeInstanceOf(AccessDeniedError);
    await refused.unsubscribe();
    const allowed = admin.subscribeToPersistentSubscriptionToAll(group);
    expect(await firstDelivery(allowed)).toBeDefined();
    await allowed.unsubscribe();
  });
});
