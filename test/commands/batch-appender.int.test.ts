import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeadlineExceededError,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  UnavailableError,
  WrongExpectedVersionError,
  binaryEvent,
  jsonEvent,
  type AppendExpectedRevision,
  type AppendResult,
} from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { appendEvents } from '../../src/eventstore/batch-appender.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { spawnServer, type ChildServer } from '../esdb/child-server.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

let backends: TestBackends;
let connection: EventStoreConnection;
let client: EventStoreDBClient;
beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  connection = connectEventStore(backends.urls.esdb ?? '');
  client = connection.client;
});
afterAll(async () => {
  await connection?.close();
  await backends?.stop();
});

const stream = (): string => `lean-${randomUUID()}`;
const deposit = (amount: number) => jsonEvent({ id: randomUUID(), type: 'MoneyDeposited', data: { amount }, metadata: { by: 'test' } });
/** The result, or the error it failed with. */
const outcome = (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);
/** What callers rely on in an append's refusal. */
const refusal = (e: unknown) =>
  e instanceof WrongExpectedVersionError
    ? { error: e.constructor.name, streamName: e.streamName, expected: e.expectedVersion, actual: e.actualVersion }
    : { error: e instanceof Error ? e.constructor.name : e };

describe('appendEvents (lean BatchAppend) against the embedded event store, through the client channel', () => {
  test('stores what the client stores: ids, types, data, metadata, binary events; the same revisions and positions', async () => {
    const [lean, viaClient] = [stream(), stream()];
    const events = [deposit(1), jsonEvent({ id: randomUUID(), type: 'Raw', data: { nested: { é: 'ü', n: [1, 2] } } }), binaryEvent({ id: randomUUID(), type: 'Blob', data: new Uint8Array([0, 1, 255]), metadata: new Uint8Array([7]) })];
    const a = await appendEvents(client, lean, events, { expectedRevision: 'no_stream' });
    const b = await client.appendToStream(viaClient, events.map((e) => ({ ...e, id: randomUUID() })), { expectedRevision: 'no_stream' });
    expect(a.success).toBe(true);
    expect(a.nextExpectedRevision).toBe(b.nextExpectedRevision);
    expect(a.position?.commit).toBeLessThan(b.position?.commit ?? 0n);
    const read = async (s: string) => {
      const out = [];
      for await (const r of client.readStream(s)) out.push(r.event);
      return out;
    };
    const leanRead = await read(lean);
    const clientRead = await read(viaClient);
    expect(leanRead.map((e) => e?.id)).toEqual(events.map((e) => e.id));
    expect(leanRead.at(-1)?.position?.commit).toBe(a.position?.commit);
    const content = (e: (typeof leanRead)[number]) => ({ type: e?.type, data: e?.data, metadata: e?.metadata, isJson: e?.isJson, revision: e?.revision });
    expect(leanRead.map(content)).toEqual(clientRead.map(content));
  });

  test('expected revisions: exact, no_stream, any, stream_exists; a refusal is the WrongExpectedVersionError the client raises', async () => {
    const s = stream();
    expect((await appendEvents(client, s, [deposit(1)], { expectedRevision: 'no_stream' })).nextExpectedRevision).toBe(0n);
    expect((await appendEvents(client, s, [deposit(2), deposit(3)], { expectedRevision: 0n })).nextExpectedRevision).toBe(2n);
    expect((await appendEvents(client, s, [deposit(4)], { expectedRevision: 'any' })).nextExpectedRevision).toBe(3n);
    expect((await appendEvents(client, s, [deposit(5)], { expectedRevision: 'stream_exists' })).nextExpectedRevision).toBe(4n);
    const missing = stream();
    const cases: [string, AppendExpectedRevision][] = [[s, 'no_stream'], [s, 1n], [missing, 3n], [missing, 'stream_exists']];
    for (const [name, expectedRevision] of cases) {
      const lean = await outcome(appendEvents(client, name, [deposit(9)], { expectedRevision }));
      const viaClient = await outcome(client.appendToStream(name, [deposit(9)], { expectedRevision }));
      expect(lean).toBeInstanceOf(WrongExpectedVersionError);
      expect(refusal(lean), `${name} expecting ${expectedRevision}`).toEqual(refusal(viaClient));
    }
    expect(refusal(await outcome(appendEvents(client, s, [deposit(9)], { expectedRevision: 1n })))).toEqual({ error: 'WrongExpectedVersionError', streamName: s, expected: 1n, actual: 4n });
    expect(refusal(await outcome(appendEvents(client, missing, [deposit(9)], { expectedRevision: 3n })))).toMatchObject({ actual: 'no_stream' });
  });

  test('concurrent appends on the one call each get their own answer', async () => {
    const streams = Array.from({ length: 40 }, stream);
    const results = await Promise.all(
      streams.flatMap((s) => [appendEvents(client, s, [deposit(1)], { expectedRevision: 'no_stream' }), appendEvents(client, s, [deposit(2)], { expectedRevision: 'no_stream' })].map(outcome)),
    );
    // Per stream, exactly one of the two no_stream appends wins; the other is refused at revision 0.
    for (let i = 0; i < streams.length; i++) {
      const pair = [results[2 * i], results[2 * i + 1]];
      expect(pair.filter((r) => (r as AppendResult).nextExpectedRevision === 0n)).toHaveLength(1);
      expect(pair.filter((r) => r instanceof WrongExpectedVersionError).map(refusal)).toEqual([{ error: 'WrongExpectedVersionError', streamName: streams[i], expected: 'no_stream', actual: 0n }]);
    }
  });

  test('a deleted stream and an oversized append are refused with the client errors, and the call goes on', async () => {
    const s = stream();
    await appendEvents(client, s, [deposit(1)], { expectedRevision: 'no_stream' });
    await client.tombstoneStream(s);
    const deleted = await outcome(appendEvents(client, s, [deposit(2)], { expectedRevision: 'any' }));
    expect(deleted).toBeInstanceOf(StreamDeletedError);
    expect(deleted).toMatchObject({ streamName: s });
    // Over the server's maximum append size (1 MiB of data, as EventStoreDB's default), in more than one chunk.
    const big = Array.from({ length: 3 }, () => binaryEvent({ id: randomUUID(), type: 'Blob', data: new Uint8Array(600_000) }));
    expect(await outcome(appendEvents(client, stream(), big, { expectedRevision: 'any' }))).toBeInstanceOf(MaxAppendSizeExceededError);
    expect((await appendEvents(client, stream(), [deposit(3)], { expectedRevision: 'no_stream' })).success).toBe(true);
  });
});

describe('appendEvents when the event store stops answering or dies (a child process)', () => {
  let dir: string;
  let server: ChildServer;
  let child: EventStoreDBClient;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lean-append-'));
    server = await spawnServer(['--data', dir]);
    child = EventStoreDBClient.connectionString(server.connectionString);
  });
  afterAll(async () => {
    await child?.dispose();
    server?.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('an append without an answer within its deadline fails with DeadlineExceededError; later appends on the call are answered', async () => {
    const s = stream();
    await appendEvents(child, s, [deposit(1)], { expectedRevision: 'no_stream' });
    server.process.kill('SIGSTOP');
    try {
      const late = await outcome(appendEvents(child, s, [deposit(2)], { expectedRevision: 0n, deadline: 300 }));
      expect(late).toBeInstanceOf(DeadlineExceededError);
    } finally {
      server.process.kill('SIGCONT');
    }
    const next = await appendEvents(child, s, [deposit(3)], { expectedRevision: 'any' });
    expect(next.success).toBe(true);
  });

  test('a killed server fails every waiting append with UnavailableError; after a restart the next append opens a new call', async () => {
    const s = stream();
    await appendEvents(child, s, [deposit(1)], { expectedRevision: 'no_stream' });
    server.process.kill('SIGSTOP');
    const waiting = Array.from({ length: 5 }, (_, i) => outcome(appendEvents(child, stream(), [deposit(i)], { expectedRevision: 'any', deadline: 60_000 })));
    await new Promise((r) => setTimeout(r, 100));
    server.process.kill('SIGKILL');
    await server.exited;
    const failures = await Promise.all(waiting);
    for (const f of failures) expect(f).toBeInstanceOf(UnavailableError);
    expect(await outcome(appendEvents(child, s, [deposit(2)], { expectedRevision: 0n }))).toBeInstanceOf(UnavailableError);

    const port = new URL(server.connectionString.replace('esdb://', 'http://')).port;
    server = await spawnServer(['--data', dir, '--port', port]);
    let appended: unknown;
    // The channel reconnects on its own; the first appends may still find it connecting.
    for (let attempt = 0; attempt < 50 && (appended === undefined || appended instanceof UnavailableError); attempt++) {
      appended = await outcome(appendEvents(child, s, [deposit(2)], { expectedRevision: 0n }));
      if (appended instanceof UnavailableError) await new Promise((r) => setTimeout(r, 100));
    }
    expect(appended).toMatchObject({ success: true, nextExpectedRevision: 1n });
  });
});
