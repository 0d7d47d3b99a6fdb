import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NewEvent } from '../../src/app/index.js';
import { EVENT_SCHEMA_VERSION, RevisionConflict } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { eventIdFor } from '../../src/eventstore/event-ids.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

let backends: TestBackends;
let connection: EventStoreConnection;
let store: EsdbAccountEventStore;
beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  connection = connectEventStore(backends.urls.esdb ?? '');
  store = new EsdbAccountEventStore(connection.client);
});
afterAll(async () => {
  await connection?.close();
  await backends?.stop();
});

const metadata = (commandId: string = randomUUID()) => ({
  occurredAt: new Date().toISOString(),
  commandId,
  correlationId: 'corr',
  causationId: 'cause',
  schemaVersion: EVENT_SCHEMA_VERSION,
});
const deposited = (amount: bigint, commandId?: string): NewEvent => ({ event: { type: 'MoneyDeposited', data: { amount } }, metadata: metadata(commandId) });

describe('EsdbAccountEventStore on a real server through @eventstore/db-client', () => {
  test('a stream that does not exist reads as empty', async () => {
    expect(await store.readStream(`account-${randomUUID()}`, 0n)).toEqual([]);
    const one: unknown[] = [];
    for await (const stored of store.readEvents(`account-${randomUUID()}`, 0n)) one.push(stored);
    expect(one).toEqual([]);
  });

  test('readEvents yields the events readStream reads, across its pages, and a reader may stop early', async () => {
    const stream = `account-${randomUUID()}`;
    const opened: NewEvent = { event: { type: 'AccountOpened', data: { accountId: 'a', ownerId: 'o', currency: 'EUR' } }, metadata: metadata() };
    await store.appendToStream(stream, [opened, ...Array.from({ length: 1_233 }, (_, i) => deposited(BigInt(i + 1)))], -1n);
    const paged: bigint[] = [];
    for await (const stored of store.readEvents(stream, 7n)) paged.push(stored.revision);
    expect(paged).toEqual((await store.readStream(stream, 7n)).map((e) => e.revision));
    expect(paged).toHaveLength(1_227);
    let seen = 0;
    for await (const _ of store.readEvents(stream, 0n)) if (++seen === 3) break;
    expect(seen).toBe(3); // and afterAll still closes the client and the server
  });

  test('events round-trip with their metadata, revisions, positions and derived ids', async () => {
    const stream = `account-${randomUUID()}`;
    const opened: NewEvent = { event: { type: 'AccountOpened', data: { accountId: 'a', ownerId: 'o', currency: 'EUR' } }, metadata: metadata() };
    const first = await store.appendToStream(stream, [opened], -1n);
    const big = deposited(9_223_372_036_854_775_807n);
    const second = await store.appendToStream(stream, [big], 0n);
    expect([first.revision, second.revision]).toEqual([0n, 1n]);
    expect(second.position).toBeGreaterThan(first.position);
    const read = await store.readStream(stream, 0n);
    expect(read.map((e) => e.event)).toEqual([opened.event, big.event]);
    expect(read.map((e) => e.metadata)).toEqual([opened.metadata, big.metadata]);
    expect(read.map((e) => e.revision)).toEqual([0n, 1n]);
    expect(read[1]?.position).toBe(second.position);
    expect(read[1]?.eventId).toBe(eventIdFor(stream, big.metadata.commandId, 0, big.metadata.commandFingerprint));
    expect(await store.readStream(stream, 1n)).toHaveLength(1);
  });

  test('a wrong expected revision is a RevisionConflict carrying the actual revision', async () => {
    const stream = `account-${randomUUID()}`;
    await store.appendToStream(stream, [deposited(1n)], -1n);
    const err = await store.appendToStream(stream, [deposited(2n)], 5n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevisionConflict);
    expect(err).toMatchObject({ expectedRevision: 5n, actualRevision: 0n });
    const missing = await store.appendToStream(`account-${randomUUID()}`, [deposited(2n)], 3n).catch((e: unknown) => e);
    expect(missing).toMatchObject({ actualRevision: -1n });
    const exists = await store.appendToStream(stream, [deposited(3n)], -1n).catch((e: unknown) => e);
    expect(exists).toMatchObject({ expectedRevision: -1n, actualRevision: 0n });
  });

  test('repeating an append at the same revision with the same command is deduplicated by event id', async () => {
    const stream = `account-${randomUUID()}`;
    await store.appendToStream(stream, [deposited(1n)], -1n);
    const again = deposited(5n);
    const a = await store.appendToStream(stream, [again], 0n);
    const b = await store.appendToStream(stream, [again], 0n);
    expect(b.revision).toBe(a.revision);
    expect(await store.readStream(stream, 0n)).toHaveLength(2);
  });
});
