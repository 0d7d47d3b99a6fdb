import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START, jsonEvent, persistentSubscriptionToAllSettingsFromDefaults as allSettings, persistentSubscriptionToStreamSettingsFromDefaults as streamSettings, streamNameFilter } from '@eventstore/db-client';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, collect, eventually, numberOf, startServer, uniqueStream, type Delivery, type Running } from './persistent-fixture.js';

let env: Running;
beforeAll(async () => {
  env = await startServer();
});
afterAll(async () => env.stop());

/** Checkpoint quickly in tests: after every acked event, or on the 100 ms timer. */
const eager = { checkPointLowerBound: 1, checkPointUpperBound: 1, checkPointAfter: 100 };

/** Reads to the end of the (one-event) read: leaving a client read early makes client.dispose() hang. */
async function lastCheckpoint(client: EventStoreDBClient, key: string): Promise<{ type: string; data: unknown } | undefined> {
  let last: { type: string; data: unknown } | undefined;
  try {
    for await (const e of client.readStream(`$persistentsubscription-${key}-checkpoint`, { direction: 'backwards', fromRevision: 'end', maxCount: 1 })) {
      if (e.event) last = { type: e.event.type, data: e.event.data };
    }
  } catch {
    return undefined;
  }
  return last;
}

describe('checkpoints', () => {
  it('writes the last acknowledged revision to the group checkpoint stream and reports it', async () => {
    const stream = uniqueStream('cp');
    await appendNumbered(env.client, stream, 5);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, ...eager }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 5, (e) => sub.ack(e));
    const cp = await eventually(async () => {
      const c = await lastCheckpoint(env.client, `${stream}::g`);
      return c?.data === '4' ? c : undefined;
    });
    expect(cp.type).toBe('$SubscriptionCheckpoint');
    const info = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.stats.lastCheckpointedEventRevision).toBe(4n);
    await sub.unsubscribe();
  });

  it('does not checkpoint past an event that is still unacknowledged', async () => {
    const stream = uniqueStream('gap');
    await appendNumbered(env.client, stream, 4);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, ...eager }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const held: Delivery[] = [];
    await collect(sub, 4, (e) => (numberOf(e) === 1 ? void held.push(e) : sub.ack(e)));
    await eventually(async () => ((await lastCheckpoint(env.client, `${stream}::g`))?.data === '0' ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect((await lastCheckpoint(env.client, `${stream}::g`))?.data).toBe('0');
    await sub.ack(...held);
    await eventually(async () => ((await lastCheckpoint(env.client, `${stream}::g`))?.data === '3' ? true : undefined));
    await sub.unsubscribe();
  });

  it('after a subsystem restart the group resumes after its checkpoint', async () => {
    const stream = uniqueStream('resume');
    await appendNumbered(env.client, stream, 5);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, ...eager }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 5, (e) => (numberOf(e) < 3 ? sub.ack(e) : undefined));
    await eventually(async () => ((await lastCheckpoint(env.client, `${stream}::g`))?.data === '2' ? true : undefined));
    sub.on('error', () => undefined);
    await env.client.restartPersistentSubscriptionSubsystem();
    const again = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(again, 2, (e) => again.ack(e));
    expect(seen.map(numberOf)).toEqual([3, 4]);
    await again.unsubscribe();
  });

  it('a $all group checkpoints a log position in the real server\'s C:x/P:y form', async () => {
    const prefix = `${uniqueStream('cpall')}-`;
    const group = uniqueStream('all-cp');
    await env.client.createPersistentSubscriptionToAll(group, allSettings({ startFrom: START, ...eager }), { filter: streamNameFilter({ prefixes: [prefix] }) });
    await env.client.appendToStream(`${prefix}1`, jsonEvent({ type: 'Numbered', data: { n: 0 } }));
    const sub = env.client.subscribeToPersistentSubscriptionToAll(group);
    const [e] = await collect(sub, 1, (d) => sub.ack(d));
    const commit = e?.event?.position?.commit;
    const cp = await eventually(async () => lastCheckpoint(env.client, `$all::${group}`));
    expect(cp.data).toBe(`C:${commit}/P:${commit}`);
    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToAllInfo(group);
      return i.stats.lastCheckpointedEventPosition ? i : undefined;
    });
    expect(info.stats.lastCheckpointedEventPosition?.commit).toBe(commit);
    await sub.unsubscribe();
  });
});

describe('server restart with the same data directory', () => {
  it('keeps groups, settings and checkpoints: a group resumes where it was', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ledger-ps-'));
    try {
      const stream = uniqueStream('durable');
      const first = await startServer({ dataDir });
      await appendNumbered(first.client, stream, 5);
      await first.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 7, ...eager }));
      const sub = first.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
      await collect(sub, 5, (e) => (numberOf(e) < 3 ? sub.ack(e) : undefined));
      await eventually(async () => ((await lastCheckpoint(first.client, `${stream}::g`))?.data === '2' ? true : undefined));
      await sub.unsubscribe();
      await first.stop();

      const second = await startServer({ dataDir });
      try {
        expect((await lastCheckpoint(second.client, `${stream}::g`))?.data).toBe('2');
        const info = await second.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
        expect(info.settings.maxRetryCount).toBe(7);
        const again = second.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
        const seen = await collect(again, 2, (e) => again.ack(e));
        expect(seen.map(numberOf)).toEqual([3, 4]);
        await again.unsubscribe();
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
