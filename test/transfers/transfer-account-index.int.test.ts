import { randomUUID } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountReadQueries, type TransferDirection } from '../../src/readmodels/account-read-queries.js';
import { MongoTransferDocuments } from '../../src/readmodels/mongo-transfer-documents.js';
import { ProjectionRegistry } from '../../src/readmodels/projection-registry.js';
import type { StoredEvent } from '../../src/readmodels/recorded-account-event.js';
import { transferAccountIndexCollection } from '../../src/readmodels/transfer-account-index.js';
import { TRANSFERS_PROJECTION, type TransferDocument } from '../../src/readmodels/transfer-documents.js';
import { transferRebuildTarget } from '../../src/readmodels/transfer-rebuild-target.js';
import { MONGO_WIRE_SERVERS, startTestMongo, type TestMongo } from '../support/mongo-wire.js';

const DAY_MS = 86_400_000;
// Just before midnight: a day's second transfer falls on the next day.
const START = Date.UTC(2026, 10, 1, 23, 59, 59, 998);

const transferDoc = (id: string, from: string, to: string, requestedAt: Date, revision = 0n, status: TransferDocument['status'] = 'pending'): TransferDocument => ({
  _id: id, from_account_id: from, to_account_id: to, amount: 7n, currency: 'EUR', status, failure_reason: null,
  requested_at: requestedAt, finished_at: status === 'pending' ? null : new Date(requestedAt.getTime() + 1), revision,
});

/** Newest first by (requested_at, _id), the order ListTransfers promises. */
const newestFirst = (a: TransferDocument, b: TransferDocument) => b.requested_at.getTime() - a.requested_at.getTime() || (a._id < b._id ? 1 : -1);

/** Every filter a find or update sent, by collection. */
const filtersSent = (commands: readonly CommandStartedEvent[]) => commands.flatMap((e) => {
  const c = e.command as { find?: string; filter?: unknown; update?: string; updates?: { q: unknown }[] };
  if (c.find !== undefined) return [{ collection: c.find, filter: c.filter }];
  if (c.update !== undefined) return (c.updates ?? []).map((u) => ({ collection: c.update!, filter: u.q }));
  return [];
});
/** Equality on _id, or _id in a list: the only filters mongo-java-server answers from an index without a unique compound one. */
const byIdOnly = (filter: unknown): boolean => {
  if (typeof filter !== 'object' || filter === null) return false;
  const keys = Object.keys(filter);
  if (keys.length !== 1 || keys[0] !== '_id') return false;
  const id = (filter as { _id: unknown })._id;
  return typeof id === 'string' || (typeof id === 'object' && id !== null && Object.keys(id).join() === '$in');
};

describe.each(MONGO_WIRE_SERVERS)('the transfers account index (issue 15) on %s', (kind) => {
  let server: TestMongo;
  let client: MongoClient;
  const commands: CommandStartedEvent[] = [];

  beforeAll(async () => {
    server = await startTestMongo(kind);
    client = await MongoClient.connect(server.url, { monitorCommands: true, serverSelectionTimeoutMS: 2_000 });
    client.on('commandStarted', (e) => commands.push(e));
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  /** A database with a filled transfers projection, its writer and its queries. */
  async function fresh(): Promise<{ db: Db; documents: MongoTransferDocuments; queries: AccountReadQueries }> {
    const db = client.db(`transfer_index_${randomUUID().slice(0, 8)}`);
    const registry = new ProjectionRegistry(db);
    await registry.ensure(TRANSFERS_PROJECTION, 'transfers');
    await registry.markFilled(TRANSFERS_PROJECTION, await registry.registeredAt(TRANSFERS_PROJECTION));
    const documents = new MongoTransferDocuments(db, 'transfers');
    await documents.ensureIndexes();
    return { db, documents, queries: new AccountReadQueries(db, registry) };
  }
  const indexContents = (db: Db) => db.collection(transferAccountIndexCollection('transfers')).find({}).sort({ _id: 1 }).toArray();
  /** Every page of one account's list, followed by its tokens. */
  async function allPages(queries: AccountReadQueries, accountId: string, direction: TransferDirection, pageSize: number) {
    const pages: string[][] = [];
    let after: Awaited<ReturnType<AccountReadQueries['listTransfers']>>['next'];
    do {
      const page = await queries.listTransfers(accountId, direction, pageSize, after);
      pages.push(page.items.map((d) => d._id));
      after = page.next;
    } while (after !== undefined && pages.length < 100);
    return pages;
  }

  test('redelivered and out-of-order writes list each transfer once and never move its document back', async () => {
    const { db, documents, queries } = await fresh();
    const [a, b, t1, t2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const at = new Date(START);
    expect(await documents.write(transferDoc(t1, a, b, at, 0n))).toBe('written');
    expect(await documents.write(transferDoc(t1, a, b, at, 1n, 'completed'))).toBe('written');
    // The newer fold first, then the older one: refused.
    expect(await documents.write(transferDoc(t2, b, a, new Date(START + 1), 2n, 'failed'))).toBe('written');
    expect(await documents.write(transferDoc(t2, b, a, new Date(START + 1), 0n))).toBe('stale');
    const listed = await indexContents(db);
    // Redelivery, one by one and in bulk (a rebuild page repeated), changes nothing.
    expect(await documents.write(transferDoc(t1, a, b, at, 0n))).toBe('stale');
    expect(await documents.write(transferDoc(t1, a, b, at, 1n, 'completed'))).toBe('stale');
    await documents.writeMany([transferDoc(t1, a, b, at, 1n, 'completed')], new Map());
    await documents.accounts.add([transferDoc(t2, b, a, new Date(START + 1))]);
    expect(await indexContents(db)).toEqual(listed);

    const both = await queries.listTransfers(a, 'both', 10, undefined);
    expect(both.items.map((d) => [d._id, d.status, d.revision])).toEqual([[t2, 'failed', 2n], [t1, 'completed', 1n]]);
    expect(both.next).toBeUndefined();
    expect((await queries.listTransfers(b, 'incoming', 10, undefined)).items.map((d) => d._id)).toEqual([t1]);
    expect((await queries.listTransfers(b, 'outgoing', 10, undefined)).items.map((d) => d._id)).toEqual([t2]);
  });

  test('pages follow each other newest first across many days, in each direction, reading only by _id', async () => {
    const { db, documents, queries } = await fresh();
    const [me, x, y] = [randomUUID(), randomUUID(), randomUUID()];
    const docs: TransferDocument[] = [];
    // 13 days (more than one read's worth), a few transfers a day; others' transfers beside.
    for (let day = 0; day < 13; day++) {
      for (let k = 0; k < 1 + (day % 3); k++) {
        const at = new Date(START + day * DAY_MS + k * 3);
        docs.push(transferDoc(randomUUID(), (day + k) % 2 === 0 ? me : x, (day + k) % 2 === 0 ? x : me, at));
        docs.push(transferDoc(randomUUID(), x, y, at));
      }
    }
    // Two at the same millisecond: ordered by id.
    docs.push(transferDoc(randomUUID(), y, me, new Date(START + 5 * DAY_MS)), transferDoc(randomUUID(), me, y, new Date(START + 5 * DAY_MS)));
    // Half one by one (the live writer), half in bulk (a rebuild page).
    for (const d of docs.slice(0, 20)) await documents.write(d);
    await documents.writeMany(docs.slice(20), new Map());

    const sent = commands.length;
    const expected = (roles: ('from_account_id' | 'to_account_id')[]) => docs.filter((d) => roles.some((r) => d[r] === me)).sort(newestFirst).map((d) => d._id);
    for (const [direction, roles] of [['both', ['from_account_id', 'to_account_id']], ['outgoing', ['from_account_id']], ['incoming', ['to_account_id']]] as const) {
      const pages = await allPages(queries, me, direction, 4);
      expect(pages.flat(), direction).toEqual(expected([...roles]));
      expect(pages.slice(0, -1).every((p) => p.length === 4), direction).toBe(true);
    }
    expect(await allPages(queries, randomUUID(), 'both', 4)).toEqual([[]]);
    const reads = filtersSent(commands.slice(sent)).filter((f) => f.collection !== 'projections');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((f) => !byIdOnly(f.filter))).toEqual([]);
    await db.dropDatabase();
  });

  test('an entry whose document is not written yet is left out, and the next page still starts after it', async () => {
    const { documents, queries } = await fresh();
    const [me, other] = [randomUUID(), randomUUID()];
    const docs = [0, 1, 2].map((i) => transferDoc(randomUUID(), me, other, new Date(START + i)));
    for (const d of [docs[0]!, docs[2]!]) await documents.write(d);
    // A writer stopped between the entry and the document.
    await documents.accounts.add([docs[1]!]);
    const first = await queries.listTransfers(me, 'both', 2, undefined);
    expect(first.items.map((d) => d._id)).toEqual([docs[2]!._id]);
    const second = await queries.listTransfers(me, 'both', 2, first.next);
    expect(second.items.map((d) => d._id)).toEqual([docs[0]!._id]);
    expect(second.next).toBeUndefined();
    await documents.write(docs[1]!);
    expect((await queries.listTransfers(me, 'both', 5, undefined)).items.map((d) => d._id)).toEqual([docs[2]!._id, docs[1]!._id, docs[0]!._id]);
  });

  test('documents written before the account index existed count as empty, and the fill (rebuild fold) lists them', async () => {
    const { db, documents, queries } = await fresh();
    const [from, to, transferId] = [randomUUID(), randomUUID(), randomUUID()];
    const at = new Date(START);
    await db.collection<TransferDocument>('transfers').insertOne(transferDoc(transferId, from, to, at, 1n, 'completed'));
    expect(await documents.isEmpty()).toBe(true);
    expect((await queries.listTransfers(from, 'both', 5, undefined)).items).toEqual([]);
    const stored = (type: string, revision: bigint, data: Record<string, string>): StoredEvent => ({
      eventId: randomUUID(), streamId: `transfer-${transferId}`, revision, commitPosition: undefined, type, data,
      metadata: { occurred_at: new Date(at.getTime() + Number(revision)).toISOString() }, created: at,
    });
    await transferRebuildTarget(documents).apply([
      stored('TransferInitiated', 0n, { transfer_id: transferId, from_account_id: from, to_account_id: to, amount: '7', currency: 'EUR' }),
      stored('TransferCompleted', 1n, { transfer_id: transferId }),
    ]);
    expect(await documents.isEmpty()).toBe(false);
    expect((await queries.listTransfers(from, 'outgoing', 5, undefined)).items.map((d) => [d._id, d.status])).toEqual([[transferId, 'completed']]);
    expect((await queries.listTransfers(to, 'incoming', 5, undefined)).items.map((d) => d._id)).toEqual([transferId]);
  });
});
