import { END, START, StreamNotFoundError, persistentSubscriptionToStreamSettingsFromDefaults as streamSettings } from './client-under-test.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendNumbered, collect, eventually, numberOf, startServer, uniqueStream, type Delivery, type Running } from './persistent-fixture.js';

let env: Running;
beforeAll(async () => {
  env = await startServer();
});
afterAll(async () => env.stop());

const parkedStreamOf = (stream: string, group: string): string => `$persistentsubscription-${stream}::${group}-parked`;

/** The parked stream's links as `<revision>@<stream>` texts, and the reasons in their metadata. */
async function parked(stream: string, group: string): Promise<{ links: string[]; reasons: string[] }> {
  const links: string[] = [];
  const reasons: string[] = [];
  try {
    for await (const e of env.client.readStream(parkedStreamOf(stream, group), { fromRevision: START })) {
      if (!e.event) continue;
      links.push(Buffer.from(e.event.data as Uint8Array).toString('utf8'));
      // The client hands JSON metadata over parsed.
      reasons.push((e.event.metadata as { reason?: string }).reason ?? '');
    }
  } catch (err) {
    // Parking is written after the nack is answered: until the first park lands the stream does not exist.
    if (!(err instanceof StreamNotFoundError)) throw err;
  }
  return { links, reasons };
}

const parkedLinks = async (stream: string, group: string): Promise<string[]> => (await parked(stream, group)).links;

describe('delivery, acknowledgement and redelivery', () => {
  it('delivers a stream from the start in order and, once acked, not again', async () => {
    const stream = uniqueStream('ack');
    await appendNumbered(env.client, stream, 5);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 5, (e) => sub.ack(e));
    expect(seen.map(numberOf)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.every((e) => e.retryCount === 0)).toBe(true);
    await appendNumbered(env.client, stream, 1, 'Numbered', 5);
    const live = await collect(sub, 1, (e) => sub.ack(e));
    expect(live.map(numberOf)).toEqual([5]);
    await sub.unsubscribe();
  });

  it('a group starting from the end skips earlier events but keeps those appended before its first consumer', async () => {
    const stream = uniqueStream('end');
    await appendNumbered(env.client, stream, 2);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: END }));
    await appendNumbered(env.client, stream, 2, 'Numbered', 2);
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 2, (e) => sub.ack(e));
    expect(seen.map(numberOf)).toEqual([2, 3]);
    await sub.unsubscribe();
  });

  it('a group starting from a revision begins there', async () => {
    const stream = uniqueStream('rev');
    await appendNumbered(env.client, stream, 5);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: 3n }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 2, (e) => sub.ack(e));
    expect(seen.map(numberOf)).toEqual([3, 4]);
    await sub.unsubscribe();
  });

  it('a nack with retry redelivers the event with its retry count raised each time', async () => {
    const stream = uniqueStream('retry');
    await appendNumbered(env.client, stream, 1);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 5 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 3, (e) => (e.retryCount < 2 ? sub.nack('retry', 'not yet', e) : sub.ack(e)));
    expect(seen.map((e) => e.retryCount)).toEqual([0, 1, 2]);
    expect(new Set(seen.map((e) => e.event?.id)).size).toBe(1);
    await sub.unsubscribe();
  });

  it('a burst nacked with retry is redelivered whole, before any new event, as the slots free', async () => {
    const stream = uniqueStream('burst');
    await appendNumbered(env.client, stream, 40);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 5 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize: 10 });
    const held: Delivery[] = [];
    const seen = await collect(sub, 40 + 10, async (e) => {
      if (e.retryCount > 0 || numberOf(e) >= 10) return sub.ack(e);
      held.push(e);
      if (held.length === 10) await sub.nack('retry', 'burst', ...held.splice(0));
    });
    const order = seen.map((e) => `${numberOf(e)}/${e.retryCount}`);
    expect(order.slice(0, 20)).toEqual([...Array.from({ length: 10 }, (_, i) => `${i}/0`), ...Array.from({ length: 10 }, (_, i) => `${i}/1`)]);
    expect(order.slice(20)).toEqual(Array.from({ length: 30 }, (_, i) => `${i + 10}/0`));
    await sub.unsubscribe();
  });

  it('a nack with skip finishes the event without redelivery', async () => {
    const stream = uniqueStream('skip');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 3, (e) => (numberOf(e) === 1 ? sub.nack('skip', 'not mine', e) : sub.ack(e)));
    expect(seen.map(numberOf)).toEqual([0, 1, 2]);
    await appendNumbered(env.client, stream, 1, 'Numbered', 3);
    const next = await collect(sub, 1, (e) => sub.ack(e));
    expect(next.map(numberOf)).toEqual([3]);
    const info = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.stats.parkedMessageCount).toBe(0n);
    await sub.unsubscribe();
  });

  it('an unacknowledged event is redelivered after the message timeout with a higher retry count', async () => {
    const stream = uniqueStream('timeout');
    await appendNumbered(env.client, stream, 1);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, messageTimeout: 300, maxRetryCount: 5 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    // First delivery is ignored (neither acked nor nacked): the server must time it out.
    const seen = await collect(sub, 2, (e) => (e.retryCount === 0 ? undefined : sub.ack(e)));
    expect(seen.map((e) => e.retryCount)).toEqual([0, 1]);
    await sub.unsubscribe();
  });

  it('a nack with stop leaves the event in flight until it times out', async () => {
    const stream = uniqueStream('stop');
    await appendNumbered(env.client, stream, 1);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, messageTimeout: 300 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(sub, 2, (e) => (e.retryCount === 0 ? sub.nack('stop', 'halt', e) : sub.ack(e)));
    expect(seen.map((e) => e.retryCount)).toEqual([0, 1]);
    await sub.unsubscribe();
  });

  it('parks on nack(park) and after maxRetryCount; replay brings the parked events back and empties the parked count', async () => {
    const stream = uniqueStream('park');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START, maxRetryCount: 1 }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    // n=0 parked by the consumer; n=1 retried until the budget is spent (1 retry) and then parked by the server; n=2 acked.
    const handle = (e: Delivery): Promise<void> =>
      numberOf(e) === 0 ? sub.nack('park', 'poison', e) : numberOf(e) === 1 ? sub.nack('retry', 'flaky', e) : sub.ack(e);
    const seen = await collect(sub, 4, handle);
    expect(seen.map((e) => `${numberOf(e)}/${e.retryCount}`).sort()).toEqual(['0/0', '1/0', '1/1', '2/0']);

    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.stats.parkedMessageCount === 2n ? i : undefined;
    });
    expect(info.stats.parkedMessageCount).toBe(2n);
    const { links, reasons } = await parked(stream, 'g');
    expect(links.sort()).toEqual([`0@${stream}`, `1@${stream}`]);
    expect(reasons.sort()).toEqual(["Client explicitly NAK'ed message.\npoison", 'Reached retry count of 1']);

    const replayed = collect(sub, 2, (e) => sub.ack(e));
    await env.client.replayParkedMessagesToStream(stream, 'g');
    const back = await replayed;
    expect(back.map(numberOf).sort()).toEqual([0, 1]);
    // As from the real server: the event comes resolved through its parked-stream link, retry count reset.
    expect(back.map((e) => e.link?.streamId)).toEqual([parkedStreamOf(stream, 'g'), parkedStreamOf(stream, 'g')]);
    expect(back.map((e) => e.retryCount)).toEqual([0, 0]);
    const after = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.stats.parkedMessageCount === 0n ? i : undefined;
    });
    expect(after.stats.parkedMessageCount).toBe(0n);
    await sub.unsubscribe();
  });

  it('replay with stopAt moves back only the parked events before that point', async () => {
    const stream = uniqueStream('stopat');
    await appendNumbered(env.client, stream, 3);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(sub, 3, (e) => sub.nack('park', 'later', e));
    await eventually(async () => ((await parkedLinks(stream, 'g')).length === 3 ? true : undefined));
    const replayed = collect(sub, 2, (e) => sub.ack(e));
    await env.client.replayParkedMessagesToStream(stream, 'g', { stopAt: 2 });
    expect((await replayed).map(numberOf).sort()).toEqual([0, 1]);
    const info = await eventually(async () => {
      const i = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
      return i.stats.parkedMessageCount === 1n ? i : undefined;
    });
    expect(info.stats.parkedMessageCount).toBe(1n);
    await sub.unsubscribe();
  });

  it('an event held by a consumer that disconnects goes to the next consumer as a retry', async () => {
    const stream = uniqueStream('handover');
    await appendNumbered(env.client, stream, 1);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const first = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    await collect(first, 1, () => undefined);
    await first.unsubscribe();
    const second = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g');
    const seen = await collect(second, 1, (e) => second.ack(e));
    expect(seen.map((e) => `${numberOf(e)}/${e.retryCount}`)).toEqual(['0/1']);
    await second.unsubscribe();
  });

  it('holds back deliveries beyond the consumer buffer size until earlier ones are acked', async () => {
    const stream = uniqueStream('inflight');
    await appendNumbered(env.client, stream, 6);
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings({ startFrom: START }));
    const sub = env.client.subscribeToPersistentSubscriptionToStream(stream, 'g', { bufferSize: 2 });
    const held: Delivery[] = [];
    await collect(sub, 2, (e) => void held.push(e));
    const info = await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g');
    expect(info.stats.totalInFlightMessages).toBe(2);
    expect(info.connections[0]?.availableSlots).toBe(0);
    const rest = collect(sub, 4, (e) => sub.ack(e));
    await sub.ack(...held);
    expect((await rest).map(numberOf)).toEqual([2, 3, 4, 5]);
    await sub.unsubscribe();
  });
});
