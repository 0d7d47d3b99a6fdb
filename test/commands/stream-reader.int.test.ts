import { randomUUID } from 'node:crypto';
import { StreamNotFoundError, binaryEvent, jsonEvent, type ResolvedEvent } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { readStreamForwards } from '../../src/eventstore/stream-reader.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

let backends: TestBackends;
let connection: EventStoreConnection;
beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  connection = connectEventStore(backends.urls.esdb ?? '');
});
afterAll(async () => {
  await connection?.close();
  await backends?.stop();
});

const viaClient = async (stream: string, fromRevision: bigint, maxCount: bigint): Promise<ResolvedEvent[]> => {
  const out: ResolvedEvent[] = [];
  for await (const r of connection.client.readStream(stream, { fromRevision, maxCount })) out.push(r);
  return out;
};

describe('readStreamForwards (lean Read of one stream) against the embedded event store', () => {
  test('yields what the client readStream yields: events, data and metadata as parsed, binary ones as bytes, revisions and positions', async () => {
    const client = connection.client;
    const stream = `lean-read-${randomUUID()}`;
    await client.appendToStream(stream, [
      jsonEvent({ type: 'MoneyDeposited', data: { amount: '5', note: 'é' }, metadata: { by: 'x' } }),
      jsonEvent({ type: 'NoMetadata', data: { n: [1, 2] } }),
      binaryEvent({ type: 'Blob', data: new Uint8Array([0, 255]), metadata: new Uint8Array([1, 2]) }),
      ...Array.from({ length: 7 }, (_, i) => jsonEvent({ type: 'MoneyDeposited', data: { amount: String(i) } })),
    ]);
    for (const [from, max] of [[0n, 1_000n], [2n, 3n], [9n, 5n], [10n, 5n]] as const) {
      const lean = await readStreamForwards(client, stream, from, max);
      expect(lean, `from ${from}, at most ${max}`).toEqual(await viaClient(stream, from, max));
    }
    expect((await readStreamForwards(client, stream, 2n, 3n)).map((r) => r.event?.revision)).toEqual([2n, 3n, 4n]);
  });

  test('a missing stream throws StreamNotFoundError naming it', async () => {
    const stream = `lean-read-${randomUUID()}`;
    const err = await readStreamForwards(connection.client, stream, 0n, 10n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamNotFoundError);
    expect(err).toMatchObject({ streamName: stream });
  });
});
