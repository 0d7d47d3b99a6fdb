/**
 * Read rates against a `ledger-esdb` child process through
 * @eventstore/db-client: a full `$all` read, and a catch-up subscription to
 * `$all` from the start until it reports caught up.
 * Then the same read from bench/null-esdb-server.ts, which does no work:
 * the client's own ceiling on this machine, to compare with.
 *   npx tsx bench/esdb-read.ts [events, default 20000]
 */
import { EventStoreDBClient, START, jsonEvent } from '@eventstore/db-client';
import { fmt, startBenchServer } from './esdb-child.js';

const events = Number(process.argv[2] ?? 20_000);
const server = await startBenchServer(['--memory']);
const client = EventStoreDBClient.connectionString(server.connectionString);

await Promise.all(
  Array.from({ length: 4 }, async (_, w) => {
    for (let i = w * 100; i < events; i += 400) {
      await client.appendToStream(
        `account-${i % 1000}`,
        Array.from({ length: 100 }, (_, k) => jsonEvent({ type: 'MoneyDeposited', data: { amount: i + k, note: 'benchmark' } })),
      );
    }
  }),
);

const clientCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
let t0 = performance.now();
let cpu0 = server.cpuSeconds();
let ccpu0 = clientCpu();
let read = 0;
for await (const _ of client.readAll()) read++;
let s = (performance.now() - t0) / 1000;
console.log(`$all read: ${fmt(read / s)} records/s (${fmt(read)} records incl. $ce/$et links in ${s.toFixed(1)} s, server CPU ${(((server.cpuSeconds() - cpu0) / s) * 100).toFixed(0)}%, client CPU ${(((clientCpu() - ccpu0) / s) * 100).toFixed(0)}% of a core)`);

t0 = performance.now();
cpu0 = server.cpuSeconds();
ccpu0 = clientCpu();
let seen = 0;
const sub = client.subscribeToAll({ fromPosition: START });
await new Promise<void>((resolve, reject) => {
  sub.on('data', () => seen++);
  sub.on('caughtUp', () => resolve());
  sub.on('error', reject);
});
s = (performance.now() - t0) / 1000;
await sub.unsubscribe();
console.log(`catch-up subscription to $all: ${fmt(seen / s)} records/s (${fmt(seen)} records in ${s.toFixed(1)} s, server CPU ${(((server.cpuSeconds() - cpu0) / s) * 100).toFixed(0)}%, client CPU ${(((clientCpu() - ccpu0) / s) * 100).toFixed(0)}% of a core)`);

await client.dispose();
await server.stop();

// The same client reading as many records from a server that does no work: this client's ceiling here.
const nullServer = await startBenchServer(['--events', String(read)], { null: true });
const nullClient = EventStoreDBClient.connectionString(nullServer.connectionString);
t0 = performance.now();
cpu0 = nullServer.cpuSeconds();
ccpu0 = clientCpu();
let nullRead = 0;
for await (const _ of nullClient.readAll()) nullRead++;
s = (performance.now() - t0) / 1000;
console.log(`$all read from the null server (client ceiling): ${fmt(nullRead / s)} records/s (${fmt(nullRead)} records in ${s.toFixed(1)} s, server CPU ${(((nullServer.cpuSeconds() - cpu0) / s) * 100).toFixed(0)}%, client CPU ${(((clientCpu() - ccpu0) / s) * 100).toFixed(0)}% of a core)`);
await nullClient.dispose();
await nullServer.stop();
