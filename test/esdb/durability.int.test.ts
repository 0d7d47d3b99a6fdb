import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { v4 as uuid } from 'uuid';
import { EventStoreDBClient, StreamDeletedError, StreamNotFoundError, jsonEvent } from '@eventstore/db-client';
import { startEsdbServer } from '../../src/esdb-server/index.js';
import { CorruptLogError, LOG_FILE } from '../../src/esdb-server/store/file-journal.js';
import { MAX_TORN_BYTES } from '../../src/esdb-server/store/stream-store.js';
import { spawnServer } from './child-server.js';
import { collect, deposits, uniqueStream } from './esdb-fixture.js';

const dirs: string[] = [];
const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'ledger-esdb-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const summary = (events: Awaited<ReturnType<typeof collect>>) =>
  events.map((e) => ({
    id: e.event!.id,
    stream: e.event!.streamId,
    revision: e.event!.revision,
    position: e.event!.position,
    type: e.event!.type,
    data: e.event!.data,
    metadata: e.event!.metadata,
    created: e.event!.created.getTime(),
  }));

describe('restart with the same data directory', () => {
  test('keeps every event, metadata, deletion and position; appends continue where they stopped', async () => {
    const dir = dataDir();
    const live = uniqueStream('account');
    const soft = uniqueStream('soft');
    const hard = uniqueStream('hard');
    // With the standard projections, so their links are recovered too.
    let server = await startEsdbServer({ port: 0, dataDir: dir, systemProjections: true });
    let client = EventStoreDBClient.connectionString(server.connectionString);
    await client.appendToStream(live, [...deposits(3), jsonEvent({ type: 'Noted', data: { n: 1 }, metadata: { command_id: 'c-9' } })]);
    await client.setStreamMetadata(live, { maxCount: 3, owner: 'ledger' });
    await client.appendToStream(soft, deposits(2));
    await client.deleteStream(soft);
    await client.appendToStream(hard, deposits(1));
    await client.tombstoneStream(hard);
    const before = summary(await collect(client.readAll()));
    const liveBefore = summary(await collect(client.readStream(live)));
    await client.dispose();
    await server.stop();

    server = await startEsdbServer({ port: 0, dataDir: dir, systemProjections: true });
    client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      expect(server.recovered).toEqual({ records: before.length, truncatedBytes: 0 });
      // Everything comes back as it was; the restart added its epoch, as a real node's does.
      const after = summary(await collect(client.readAll()));
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length).map((e) => [e.stream, e.revision])).toEqual([['$epoch-information', 1n]]);
      expect(summary(await collect(client.readStream(live)))).toEqual(liveBefore);
      expect(liveBefore).toHaveLength(3);
      await expect(collect(client.readStream(soft))).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(collect(client.readStream(hard))).rejects.toBeInstanceOf(StreamDeletedError);
      // The system projections' links come back pointing at their events, and new links continue their streams.
      const byCategory = async () => (await collect(client.readStream('$ce-account', { resolveLinkTos: true }))).filter((e) => e.event?.streamId === live);
      expect((await byCategory()).map((e) => [e.event!.revision, e.link!.revision])).toEqual([[1n, 1n], [2n, 2n], [3n, 3n]]);
      const next = await client.appendToStream(live, deposits(1), { expectedRevision: 3n });
      expect(next.nextExpectedRevision).toBe(4n);
      expect((await byCategory()).map((e) => [e.event!.revision, e.link!.revision, e.link!.type])).toContainEqual([4n, 4n, '$>']);
      expect(next.position!.commit).toBeGreaterThan(before[before.length - 1]!.position!.commit);
      // The soft delete survived too: the stream is recreated with revisions continuing.
      const again = await client.appendToStream(soft, deposits(1), { expectedRevision: 1n });
      expect(again.nextExpectedRevision).toBe(2n);
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});

describe('crash', () => {
  test('SIGKILL during 64-way concurrent appends loses no acknowledged append and leaves no torn record', async () => {
    const dir = dataDir();
    const first = await spawnServer(['--data', dir]);
    const client = EventStoreDBClient.connectionString(first.connectionString);
    const acknowledged = new Map<string, { stream: string; revision: bigint }>();
    let killed = false;
    const writer = async (w: number): Promise<void> => {
      const stream = `crash-${w}`;
      for (let i = 0; !killed; i++) {
        const id = uuid();
        try {
          const r = await client.appendToStream(stream, jsonEvent({ id, type: 'MoneyDeposited', data: { w, i, pad: 'x'.repeat(200) } }));
          acknowledged.set(id, { stream, revision: r.nextExpectedRevision });
        } catch {
          return;
        }
      }
    };
    const writers = Array.from({ length: 64 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 1_500));
    killed = true;
    first.process.kill('SIGKILL');
    await first.exited;
    await Promise.allSettled(writers);
    await client.dispose();
    expect(acknowledged.size).toBeGreaterThan(64);

    const second = await spawnServer(['--data', dir]);
    const reader = EventStoreDBClient.connectionString(second.connectionString);
    try {
      const found = new Map<string, { stream: string; revision: bigint; data: unknown }>();
      for (const e of await collect(reader.readAll())) {
        if (e.event?.type === 'MoneyDeposited') found.set(e.event.id, { stream: e.event.streamId, revision: e.event.revision, data: e.event.data });
      }
      for (const [id, ack] of acknowledged) expect(found.get(id), id).toMatchObject(ack);
      // Every record that came back is whole: its JSON body parsed.
      for (const f of found.values()) expect(f.data).toMatchObject({ pad: 'x'.repeat(200) });
      // Per stream, revisions are gap-free after recovery.
      for (let w = 0; w < 64; w++) {
        const revs = (await collect(reader.readStream(`crash-${w}`)).catch(() => [])).map((e) => e.event!.revision);
        expect(revs).toEqual(revs.map((_, i) => BigInt(i)));
      }
    } finally {
      await reader.dispose();
      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  });
});

describe('data directory lock', () => {
  test('a second server on the same data directory is refused until the first stops', async () => {
    const dir = dataDir();
    const first = await startEsdbServer({ port: 0, dataDir: dir });
    await expect(startEsdbServer({ port: 0, dataDir: dir })).rejects.toThrow(/in use/);
    await first.stop();
    const second = await startEsdbServer({ port: 0, dataDir: dir });
    await second.stop();
  });
});

describe('a damaged log', () => {
  test('damage far from the end, with acknowledged events after it, keeps the server from starting and changes nothing', async () => {
    const dir = dataDir();
    // Over MAX_TORN_BYTES of events through the client: more than a crash could leave torn.
    let server = await startEsdbServer({ port: 0, dataDir: dir, fsync: false });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    const big = 'x'.repeat(200_000);
    const count = Math.ceil(MAX_TORN_BYTES / big.length) + 4;
    for (let i = 0; i < count; i++) await client.appendToStream(`bulk-${i % 4}`, jsonEvent({ type: 'Bulk', data: { i, big } }));
    await client.dispose();
    await server.stop();
    const path = join(dir, LOG_FILE);
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(MAX_TORN_BYTES);
    bytes[1_000] = (bytes[1_000] ?? 0) ^ 0xff; // bit rot inside the first event
    writeFileSync(path, bytes);

    await expect(startEsdbServer({ port: 0, dataDir: dir })).rejects.toBeInstanceOf(CorruptLogError);
    // The CLI says why and exits 1; the lock was released, so it got as far as the log.
    const cli = spawn(process.execPath, [fileURLToPath(new URL('../../bin/ledger-esdb.js', import.meta.url)), '--port', '0', '--data', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((resolve) => cli.on('exit', resolve))).toBe(1);
    expect(stderr).toContain('refusing to cut acknowledged events');
    expect(readFileSync(path).equals(bytes)).toBe(true);

    // After the operator cuts the log at the damage (as the message says), it starts with what precedes it.
    truncateSync(path, Number(/truncate -s (\d+)/.exec(stderr)?.[1]));
    server = await startEsdbServer({ port: 0, dataDir: dir });
    expect(server.recovered.truncatedBytes).toBe(0);
    await server.stop();
  }, 60_000);
});
