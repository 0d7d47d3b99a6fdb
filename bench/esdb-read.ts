/**
 * Read rates against a `ledger-esdb` child process through
 * @eventstore/db-client: a full `$all` read, and a catch-up subscription to
 * `$all` from the start until it reports caught up.
 * The `$all` read is compared with bench/null-esdb-server.ts, which streams
 * as many pre-encoded records and does no work: the client's own ceiling on
 * this machine. Both servers run side by side; after a warm-up read of
 * each (a cold client path reads at half speed), reads alternate three
 * times so a change in the machine's load hits both alike.
 *   npx tsx bench/esdb-read.ts [events, default 20000]
 */
import { EventStoreDBClient, START, jsonEvent } from '@eventstore/db-client';
import { fmt, startBenchServer, type BenchServer } from './esdb-child.js';

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

/** Reads `$all` to the end; prints and returns records/s. */
async function readAll(label: string, target: BenchServer, on: EventStoreDBClient): Promise<{ rate: number; records: number }> {
  const t0 = performance.now();
  const cpu0 = target.cpuSeconds();
  const ccpu0 = clientCpu();
  let records = 0;
  for await (const _ of on.readAll()) records++;
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${label}: ${fmt(records / s)} records/s (${fmt(records)} records in ${s.toFixed(2)} s, server CPU ${(((target.cpuSeconds() - cpu0) / s) * 100).toFixed(0)}%, client CPU ${(((clientCpu() - ccpu0) / s) * 100).toFixed(0)}% of a core)`,
  );
  return { rate: records / s, records };
}

const { records } = await readAll('$all read, warm-up', server, client);
// The null server streams as many records as ours holds (events plus the node's epoch record).
const nullServer = await startBenchServer(['--events', String(records)], { null: true });
const nullClient = EventStoreDBClient.connectionString(nullServer.connectionString);
await readAll('$all read from the null server, warm-up', nullServer, nullClient);
const ours: number[] = [];
const ceiling: number[] = [];
for (let i = 0; i < 3; i++) {
  ours.push((await readAll('$all read', server, client)).rate);
  ceiling.push((await readAll('$all read from the null server', nullServer, nullClient)).rate);
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`$all read, mean of 3 alternating: ${fmt(mean(ours))} / null server ${fmt(mean(ceiling))} records/s = ${((mean(ours) / mean(ceiling)) * 100).toFixed(0)}%`);
await nullClient.dispose();
await nullServer.stop();

const t0 = performance.now();
const cpu0 = server.cpuSeconds();
const ccpu0 = clientCpu();
let seen = 0;
const sub = client.subscribeToAll({ fromPosition: START });
await new Promise<void>((resolve, reject) => {
  sub.on('data', () => seen++);
  sub.on('caughtUp', () => resolve());
  sub.on('error', reject);
});
const s = (performance.now() - t0) / 1000;
await sub.unsubscribe();
console.log(`catch-up subscription to $all: ${fmt(seen / s)} records/s (${fmt(seen)} records in ${s.toFixed(2)} s, server CPU ${(((server.cpuSeconds() - cpu0) / s) * 100).toFixed(0)}%, client CPU ${(((clientCpu() - ccpu0) / s) * 100).toFixed(0)}% of a core)`);

await client.dispose();
await server.stop();
