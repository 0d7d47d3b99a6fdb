import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { CorruptLogError, LOG_FILE, openFileJournal, recoverLog } from '../../src/esdb-server/store/file-journal.js';
import { LogStore } from '../../src/esdb-server/store/log-store.js';
import { MAX_GROUP_BYTES, MAX_TORN_BYTES } from '../../src/esdb-server/store/stream-store.js';
import { checksum } from '../../src/esdb-server/store/record-codec.js';
import { BY_CATEGORY, ProjectedLink } from '../../src/esdb-server/store/system-projections.js';
import type { RecordedEvent } from '../../src/esdb-server/store/types.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (i: number): RecordedEvent => ({
  streamId: `account-${i % 3}`,
  revision: BigInt(Math.floor(i / 3)),
  position: BigInt(i + 1),
  eventId: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  type: 'MoneyDeposited',
  contentType: i % 2 === 0 ? 'application/json' : 'application/octet-stream',
  data: Buffer.from(`{"amount":${i}}`),
  metadata: i % 2 === 0 ? Buffer.from('{"command_id":"c"}') : new Uint8Array(0),
  created: 638_000_000_000_000_000n + BigInt(i),
});

// Every fourth record is a `$ce-` link to the event before it, as the system projections write them.
const withLinks = (n: number): RecordedEvent[] => {
  const records: RecordedEvent[] = [];
  for (let i = 0; i < n; i++) {
    const target = records[i - 1];
    records.push(i % 4 === 3 && target !== undefined ? new ProjectedLink('$ce-account', BY_CATEGORY, i, i + 1, target) : record(i));
  }
  return records;
};

const written = async (n: number): Promise<RecordedEvent[]> => {
  dir = mkdtempSync(join(tmpdir(), 'esdb-unit-'));
  const journal = await openFileJournal(dir, true);
  const records = withLinks(n);
  await journal.write(records.slice(0, 5));
  await journal.write(records.slice(5));
  await journal.close();
  return records;
};

const recovered = (): { records: RecordedEvent[]; truncatedBytes: number } => {
  const records: RecordedEvent[] = [];
  const r = recoverLog(dir, (e) => records.push(e), (p) => records[p - 1]);
  return { records, truncatedBytes: r.truncatedBytes };
};

const plain = (r: RecordedEvent) => ({
  streamId: r.streamId,
  revision: r.revision,
  position: r.position,
  eventId: r.eventId,
  type: r.type,
  contentType: r.contentType,
  data: Buffer.from(r.data).toString(),
  metadata: Buffer.from(r.metadata).toString(),
  created: r.created,
});

describe('recovering the log', () => {
  test('every record comes back field for field, positions from their place in the log', async () => {
    const records = await written(9);
    const back = recovered();
    expect(back.truncatedBytes).toBe(0);
    expect(back.records.map(plain)).toEqual(records.map(plain));
  });

  test('a torn last record is cut off, and the file ends where the last whole record ends', async () => {
    await written(9);
    const path = join(dir, LOG_FILE);
    const whole = statSync(path).size;
    const bytes = readFileSync(path);
    // The crash left half of a tenth record.
    appendFileSync(path, bytes.subarray(0, 20));
    const back = recovered();
    expect(back.records).toHaveLength(9);
    expect(back.truncatedBytes).toBe(20);
    expect(statSync(path).size).toBe(whole);
  });

  test('a record whose checksum does not match ends the log there', async () => {
    await written(9);
    const path = join(dir, LOG_FILE);
    const bytes = readFileSync(path);
    // Flip one byte in the data of the last record.
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const back = recovered();
    expect(back.records).toHaveLength(8);
    expect(back.truncatedBytes).toBeGreaterThan(0);
  });

  test('a link record whose checksum does not match ends the log there too', async () => {
    const records = await written(8);
    expect(records[7]).toBeInstanceOf(ProjectedLink);
    const path = join(dir, LOG_FILE);
    const bytes = readFileSync(path);
    // The last frame is the link's: flip a byte of its target position.
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0x01;
    writeFileSync(path, bytes);
    const back = recovered();
    expect(back.records).toHaveLength(7);
    expect(back.truncatedBytes).toBe(8 + 18);
  });
});

describe('record checksums', () => {
  test('short frames summed in JS agree with zlib crc32 at every length', () => {
    const bytes = randomBytes(400);
    // Past the JS path's limit (256) too, and at every start alignment of its four-byte steps.
    for (let len = 0; len <= 300; len++) {
      for (let start = 0; start < 4; start++) expect(checksum(bytes, start, start + len)).toBe(crc32(bytes.subarray(start, start + len)));
      expect(checksum(bytes, 7, 7 + len)).toBe(crc32(bytes.subarray(7, 7 + len)));
    }
  });
});

describe('damage before the end of the log', () => {
  test('damage further from the end than a crash can tear, with whole records after it, stops recovery and changes nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'esdb-unit-'));
    const journal = await openFileJournal(dir, false);
    // More records than the group commits a crash can leave torn (MAX_TORN_BYTES), in groups of about 10 MiB.
    const big = Buffer.alloc(100_000, 7);
    const groups = Math.ceil(MAX_TORN_BYTES / (105 * big.length)) + 1;
    for (let g = 0; g < groups; g++) {
      await journal.write(Array.from({ length: 105 }, (_, i) => ({ ...record(g * 105 + i), data: big, metadata: new Uint8Array(0) })));
    }
    await journal.close();
    const path = join(dir, LOG_FILE);
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(MAX_TORN_BYTES);
    // Bit rot in the data of the second record.
    bytes[100_200] = (bytes[100_200] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    expect(() => recovered()).toThrow(CorruptLogError);
    expect(statSync(path).size).toBe(bytes.length);
  });
});

describe('group commit', () => {
  test('groups are cut between appends at MAX_GROUP_BYTES, in order, and every append is acknowledged', async () => {
    const writes: RecordedEvent[][] = [];
    const store = new LogStore({
      systemProjections: false,
      journal: {
        write: async (records) => {
          writes.push([...records]);
          await new Promise((r) => setTimeout(r, 5));
        },
        close: async () => undefined,
      },
    });
    const data = Buffer.alloc(900_000, 1);
    // 40 appends of ~0.9 MiB each, all at once: ~36 MiB pending.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.append(`big-${i}`, [{ eventId: randomUUID(), type: 'Big', contentType: 'application/octet-stream', data, metadata: new Uint8Array(0) }], { kind: 'any' }),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(writes.length).toBeGreaterThanOrEqual(5);
    for (const w of writes) expect(w.reduce((n, r) => n + r.data.length, 0)).toBeLessThanOrEqual(MAX_GROUP_BYTES + data.length);
    expect(writes.flat().map((r) => r.streamId)).toEqual(Array.from({ length: 40 }, (_, i) => `big-${i}`));
    expect(store.headPosition()).toBe(40n);
  });
});


describe('idempotency after a restart', () => {
  test('a retry with expected any of an append made before the restart is recognised from the recovered log, not written again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'esdb-unit-'));
    const events = [0, 1, 2].map((n) => ({ eventId: randomUUID(), type: 'MoneyDeposited', contentType: 'application/json', data: Buffer.from(`{"amount":${n}}`), metadata: new Uint8Array(0) }));
    const before = new LogStore().withJournal(await openFileJournal(dir, false));
    await before.append('account-9', [{ ...events[0]!, eventId: randomUUID() }], { kind: 'any' });
    const first = await before.append('account-9', events, { kind: 'any' });
    await before.close();

    const after = new LogStore();
    recoverLog(dir, (r) => after.restore(r), (p) => after.restoredAt(p));
    after.withJournal(await openFileJournal(dir, false)).restored();
    const retry = await after.append('account-9', events, { kind: 'any' });
    expect(first).toEqual({ ok: true, nextRevision: 3n, position: 4n });
    expect(retry).toEqual(first);
    // Ids the store never saw are appended, after the recovered ones.
    const fresh = await after.append('account-9', [{ ...events[0]!, eventId: randomUUID() }], { kind: 'any' });
    expect(fresh).toEqual({ ok: true, nextRevision: 4n, position: 5n });
    await after.close();
  });
});
