/**
 * The transfers collection on the embedded read store (issue 15):
 * mongo-java-server (memory) looks an index up only by equality on exactly
 * its fields, so a filter with a range scans the collection. Measures, at
 * several collection sizes in one run (a scan shows as a rate that falls with
 * the size), sequential single operations:
 *   - the guarded write (MongoTransferDocuments.write: equality filters on
 *     {_id} and {_id, revision}), beside the range-guarded upsert it replaced
 *     ({_id, revision: {$lt}});
 *   - the first write of a transfer (an insert);
 *   - ListTransfers' first and second page of one account (both roles): the
 *     account index's documents by _id, then the page's documents by _id.
 * Usage: npm run bench -- transfer-documents [--sizes 1000,10000,50000]
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startMongoJavaServer } from '../src/embedded/index.js';
import { AccountReadQueries } from '../src/readmodels/account-read-queries.js';
import { MongoTransferDocuments } from '../src/readmodels/mongo-transfer-documents.js';
import { ProjectionRegistry } from '../src/readmodels/projection-registry.js';
import { TRANSFERS_PROJECTION, type TransferDocument } from '../src/readmodels/transfer-documents.js';

const args = process.argv.slice(2);
const sizes = (args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] ?? '' : '1000,10000,50000').split(',').map(Number);
const ACCOUNTS = 1_000;
const OPS = 300;

const server = await startMongoJavaServer({ restart: false });
const client = await MongoClient.connect(server.url);
try {
  console.log('| documents | operation | per second |\n|---|---|---|');
  for (const size of sizes) {
    const db = client.db(`bench_transfers_${size}`);
    await db.dropDatabase();
    const registry = new ProjectionRegistry(db);
    await registry.ensure(TRANSFERS_PROJECTION, 'transfers');
    await registry.markFilled(TRANSFERS_PROJECTION, await registry.registeredAt(TRANSFERS_PROJECTION));
    const documents = new MongoTransferDocuments(db, 'transfers');
    await documents.ensureIndexes();
    const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
    const docs: TransferDocument[] = Array.from({ length: size }, (_, i) => ({
      _id: randomUUID(), from_account_id: accounts[i % ACCOUNTS]!, to_account_id: accounts[(i * 7 + 1) % ACCOUNTS]!, amount: 5n, currency: 'EUR',
      status: 'pending', failure_reason: null, requested_at: new Date(Date.UTC(2026, 10, 29) + i), finished_at: null, revision: 0n,
    }));
    // Through the writer, which lists each transfer in the account index (ListTransfers reads it).
    for (let i = 0; i < size; i += 1_000) await documents.writeMany(docs.slice(i, i + 1_000), new Map());
    const rate = async (label: string, op: (i: number) => Promise<unknown>) => {
      const started = performance.now();
      for (let i = 0; i < OPS; i++) await op(i);
      console.log(`| ${size} | ${label} | ${Math.round(OPS / ((performance.now() - started) / 1000))} |`);
    };
    const completed = (d: TransferDocument, revision: bigint): TransferDocument => ({ ...d, status: 'completed', finished_at: new Date(), revision });
    await rate('guarded write, equality filters (now)', (i) => documents.write(completed(docs[i]!, 1n)));
    await rate('guarded upsert, {_id, revision: {$lt}} (before)', (i) => {
      const { _id, ...fields } = completed(docs[OPS + i]!, 1n);
      return db.collection<TransferDocument>('transfers').updateOne({ _id, revision: { $lt: 1n } }, { $set: fields }, { upsert: true });
    });
    const queries = new AccountReadQueries(db, registry);
    await rate('ListTransfers first page (both roles, 50)', (i) => queries.listTransfers(accounts[i % ACCOUNTS]!, 'both', 50, undefined));
    await rate('ListTransfers second page (both roles, 5)', async (i) => {
      const first = await queries.listTransfers(accounts[i % ACCOUNTS]!, 'both', 5, undefined);
      return first.next && queries.listTransfers(accounts[i % ACCOUNTS]!, 'both', 5, first.next);
    });
    // The live writer's first write of a transfer (an insert; with the account index, its entries first).
    await rate('first write of a transfer', (i) => documents.write({ ...docs[i]!, _id: randomUUID() }));
  }
} finally {
  await client.close();
  await server.stop();
}
