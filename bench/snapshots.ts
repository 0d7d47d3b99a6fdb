/**
 * Load time of a 10,000-event account with snapshots against a 100-event
 * account, in the same run (issue 6; goal: ratio under 1.5). Embedded
 * EventStoreDB-compatible server in memory; loads go through the command
 * side's one load function. Run: npx tsx bench/snapshots.ts
 */
import { randomUUID } from 'node:crypto';
import { startEsdbServer } from '../src/esdb-server/index.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { EsdbAccountSnapshots } from '../src/eventstore/snapshot-account-store.js';
import { loadAccount, type NewEvent } from '../src/app/index.js';
import { takeSnapshot } from '../src/app/take-snapshot.js';
import { EVENT_SCHEMA_VERSION, accountStream } from '../src/domain/index.js';

const EVERY = 100;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 40);

const esdb = await startEsdbServer({ port: 0, memory: true });
const conn = connectEventStore(esdb.connectionString);
const store = new EsdbAccountEventStore(conn.client);
const snapshots = new EsdbAccountSnapshots(conn.client, { keep: 10, commandWindow: EVERY });

async function seed(events: number): Promise<string> {
  const accountId = randomUUID();
  const meta = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'b', causationId: 'b', schemaVersion: EVENT_SCHEMA_VERSION });
  const all: NewEvent[] = [{ event: { type: 'AccountOpened', data: { accountId, ownerId: 'o', currency: 'EUR' } }, metadata: meta() }];
  while (all.length < events) all.push({ event: { type: 'MoneyDeposited', data: { amount: 1n } }, metadata: meta() });
  let revision = -1n;
  for (let i = 0; i < all.length; i += 1000) revision = (await store.appendToStream(accountStream(accountId), all.slice(i, i + 1000), revision)).revision;
  return accountId;
}

// The long account's newest snapshot is half a period behind its head: a typical tail.
const long = await seed(10_000 - EVERY / 2);
await takeSnapshot(store, snapshots, long);
const longId = long;
const meta = () => ({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'b', causationId: 'b', schemaVersion: EVENT_SCHEMA_VERSION });
const tail: NewEvent[] = Array.from({ length: EVERY / 2 }, () => ({ event: { type: 'MoneyDeposited', data: { amount: 1n } }, metadata: meta() }));
await store.appendToStream(accountStream(longId), tail, BigInt(10_000 - EVERY / 2 - 1));
const short = await seed(EVERY);

const timeLoad = async (id: string): Promise<number> => {
  const t = performance.now();
  const loaded = await loadAccount(store, id, undefined, snapshots);
  if (loaded.revision < 0n) throw new Error('not loaded');
  return performance.now() - t;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

for (let i = 0; i < 5; i++) { await timeLoad(longId); await timeLoad(short); } // warm-up
const longMs: number[] = [];
const shortMs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  longMs.push(await timeLoad(longId));
  shortMs.push(await timeLoad(short));
}
const full = performance.now();
await loadAccount(store, longId);
const fullMs = performance.now() - full;

const ratio = median(longMs) / median(shortMs);
console.log(JSON.stringify({
  bench: 'snapshots',
  rounds: ROUNDS,
  load_10000_events_with_snapshot_ms_p50: +median(longMs).toFixed(2),
  load_100_events_ms_p50: +median(shortMs).toFixed(2),
  ratio: +ratio.toFixed(2),
  goal_ratio_below: 1.5,
  met: ratio < 1.5,
  load_10000_events_without_snapshot_ms: +fullMs.toFixed(1),
}, null, 2));
await conn.close();
await esdb.stop();
