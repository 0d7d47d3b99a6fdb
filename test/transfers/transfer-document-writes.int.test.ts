import { randomUUID } from 'node:crypto';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MongoTransferDocuments } from '../../src/readmodels/mongo-transfer-documents.js';
import type { TransferDocument } from '../../src/readmodels/transfer-documents.js';
import { MONGO_WIRE_SERVERS, startTestMongo, type TestMongo } from '../support/mongo-wire.js';

const doc = (id: string, revision: bigint, status: TransferDocument['status'] = 'pending'): TransferDocument => ({
  _id: id, from_account_id: 'a', to_account_id: 'b', amount: 5n, currency: 'EUR', status,
  failure_reason: null, requested_at: new Date('2026-11-29T10:00:00Z'), finished_at: status === 'pending' ? null : new Date('2026-11-29T10:00:01Z'), revision,
});

/** An operator ($lt, $in, ...) anywhere in a filter: mongo-java-server then scans the collection instead of using an index. */
const hasOperator = (v: unknown): boolean => typeof v === 'object' && v !== null && !(v instanceof Date) && Object.entries(v).some(([k, x]) => k.startsWith('$') || hasOperator(x));

describe.each(MONGO_WIRE_SERVERS)('on %s', (kind) => {
  let server: TestMongo;
  let monitored: MongoClient;
  const commands: CommandStartedEvent[] = [];

  beforeAll(async () => {
    server = await startTestMongo(kind);
    monitored = await MongoClient.connect(server.url, { monitorCommands: true, serverSelectionTimeoutMS: 2_000 });
    monitored.on('commandStarted', (e) => commands.push(e));
  });
  afterAll(async () => {
    await monitored?.close();
    await server?.stop();
  });

  /** Every filter the writes sent, as the server received it. */
  const filtersSent = () => commands.flatMap((e) => {
    const c = e.command as { update?: string; updates?: { q: unknown }[]; find?: string; filter?: unknown };
    if (c.updates !== undefined) return c.updates.map((u) => u.q);
    if (c.find !== undefined) return [c.filter];
    return [];
  });

  test('transfer documents are written guarded by revision through equality filters only (issue 15: a range on revision scanned the collection on mongo-java-server)', async () => {
    const db = monitored.db(`transfer_writes_${randomUUID().slice(0, 8)}`);
    const documents = new MongoTransferDocuments(db, 'transfers');
    await documents.ensureIndexes();
    const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()];
    commands.length = 0;
    // In order, out of order (revision 2 before 0 and 1), repeated, and an older fold after a newer one.
    expect(await documents.write(doc(t1, 0n))).toBe('written');
    expect(await documents.write(doc(t1, 1n, 'completed'))).toBe('written');
    expect(await documents.write(doc(t2, 2n, 'failed'))).toBe('written');
    expect(await documents.write(doc(t2, 0n))).toBe('stale');
    expect(await documents.write(doc(t2, 1n, 'completed'))).toBe('stale');
    expect(await documents.write(doc(t1, 1n, 'completed'))).toBe('stale');
    // Two writers of one transfer at once (two writers, as two processes would be): the newer fold
    // stays where the server's guarded update is atomic. FerretDB 1.24's is not (two concurrent
    // guarded updates can both match: ReadStoreProfile.atomicGuard), so there they write one after the other.
    const other = new MongoTransferDocuments(db, 'transfers');
    const writes = [() => documents.write(doc(t3, 1n)), () => other.write(doc(t3, 2n, 'completed')), () => documents.write(doc(t3, 0n))];
    if (server.profile.atomicGuard) await Promise.all(writes.map((w) => w()));
    else for (const w of writes) await w();
    // The bulk path (rebuild, refill): a stored revision that moved since it was read falls back to single writes.
    await documents.writeMany([doc(t1, 2n, 'completed'), doc(t2, 3n, 'failed')], new Map([[t1, doc(t1, 1n)], [t2, doc(t2, 0n)]]));
    expect((await documents.get(t1))?.revision).toBe(2n);
    expect(await documents.get(t2)).toMatchObject({ revision: 3n, status: 'failed' });
    expect(await documents.get(t3)).toMatchObject({ revision: 2n, status: 'completed' });
    const filters = filtersSent();
    expect(filters.length).toBeGreaterThan(5);
    expect(filters.filter(hasOperator)).toEqual([]);
    const indexes = await db.collection(documents.collection).listIndexes().toArray();
    expect(indexes.find((i) => i.name === '_id_1_revision_1')).toMatchObject({ key: { _id: 1, revision: 1 }, unique: true });
  });
});
