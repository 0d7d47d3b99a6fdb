/**
 * Persistent-subscription throughput of the embedded server: events/s a
 * group delivers and gets acked, server in its own process (`ledger-esdb
 * --memory`), client here. Runs one consumer and two consumers (RoundRobin),
 * acking each event as it arrives, with the client's default buffer size
 * and a larger one; then one consumer with bufferSize 1,000 acking every
 * 100 events in one Ack (as a batching consumer such as the projector does).
 * CPU per event is given for the server process and for this process (the
 * client: decoding deliveries, encoding acks). The batched-ack row then runs
 * against bench/null-esdb-server.ts (deliveries pre-encoded, acks only
 * counted, same in-flight limit) behind the same client, and prints ours as
 * a share of it.
 *
 *   npx tsx bench/esdb-persistent.ts [events=20000]
 */
import {
  EventStoreDBClient,
  START,
  jsonEvent,
  persistentSubscriptionToStreamSettingsFromDefaults as streamSettings,
  type PersistentSubscriptionToStream,
  type PersistentSubscriptionToStreamResolvedEvent,
} from '@eventstore/db-client';
import { startBenchServer, type BenchServer } from './esdb-child.js';

const total = Number(process.argv[2] ?? 20_000);

let groups = 0;

/** Drains `count` events through `consumers` subscribers of a fresh group; returns events/s. */
async function run(client: EventStoreDBClient, stream: string, consumers: number, bufferSize: number, ackEvery: number): Promise<number> {
  const group = `bench-${consumers}-${bufferSize}-${ackEvery}-${++groups}`;
  await client.createPersistentSubscriptionToStream(stream, group, streamSettings({ startFrom: START, consumerStrategyName: 'RoundRobin' }));
  const subs: PersistentSubscriptionToStream[] = [];
  const t0 = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < consumers; i++) {
      const sub = client.subscribeToPersistentSubscriptionToStream(stream, group, { bufferSize });
      subs.push(sub);
      let unacked: PersistentSubscriptionToStreamResolvedEvent[] = [];
      sub.on('data', (e: PersistentSubscriptionToStreamResolvedEvent) => {
        seen++;
        if (ackEvery === 1) void sub.ack(e);
        else {
          unacked.push(e);
          if (unacked.length >= ackEvery || seen === total) {
            void sub.ack(...unacked);
            unacked = [];
          }
        }
        if (seen === total) resolve();
      });
    }
  });
  const rate = (total * 1000) / (performance.now() - t0);
  await Promise.all(subs.map((s) => s.unsubscribe()));
  return rate;
}

const server = await startBenchServer(['--memory']);
const client = EventStoreDBClient.connectionString(server.connectionString);
const stream = `bench-persistent-${Date.now()}`;
for (let i = 0; i < total; i += 500) {
  const n = Math.min(500, total - i);
  await client.appendToStream(stream, Array.from({ length: n }, (_, k) => jsonEvent({ type: 'Bench', data: { n: i + k } })));
}
console.log(`persistent subscription, ${total} events from history:`);

/** One row: drains the group and prints its rate and CPU per event on both sides. */
async function measure(label: string, target: BenchServer, on: EventStoreDBClient, consumers: number, bufferSize: number, ackEvery: number): Promise<number> {
  const cpu0 = target.cpuSeconds();
  const own0 = process.cpuUsage();
  const rate = await run(on, stream, consumers, bufferSize, ackEvery);
  const serverCpuPerEvent = ((target.cpuSeconds() - cpu0) * 1e6) / total;
  const own = process.cpuUsage(own0);
  const clientCpuPerEvent = (own.user + own.system) / total;
  console.log(
    `  ${label}${consumers} consumer(s), bufferSize ${bufferSize}, ack ${ackEvery === 1 ? 'per event' : `per ${ackEvery} events`}: ` +
      `${Math.round(rate).toLocaleString('en-US')} events/s (server CPU ${Math.round(serverCpuPerEvent)} µs/event, client ${Math.round(clientCpuPerEvent)} µs/event)`,
  );
  return rate;
}

for (const [consumers, bufferSize, ackEvery] of [
  [1, 10, 1],
  [1, 100, 1],
  [2, 100, 1],
  [1, 1000, 100],
] as const) await measure('', server, client, consumers, bufferSize, ackEvery);

// The target row against the null server: both servers up, two warm-up drains of the null one
// (ours was warmed by the rows above; a cold client path alone halves the rate), then
// alternating runs so that a change in the machine's load hits both alike.
const nullServer = await startBenchServer(['--events', String(total)], { null: true });
const nullClient = EventStoreDBClient.connectionString(nullServer.connectionString);
for (let i = 0; i < 2; i++) await run(nullClient, stream, 1, 1000, 100);
const ours: number[] = [];
const ceiling: number[] = [];
for (let i = 0; i < 3; i++) {
  ours.push(await measure('', server, client, 1, 1000, 100));
  ceiling.push(await measure('null server, ', nullServer, nullClient, 1, 1000, 100));
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`  1 consumer, bufferSize 1000, batched acks, mean of 3 alternating: ${Math.round(mean(ours)).toLocaleString('en-US')} / null server ${Math.round(mean(ceiling)).toLocaleString('en-US')} events/s = ${((mean(ours) / mean(ceiling)) * 100).toFixed(0)}%`);
await client.dispose();
await server.stop();
await nullClient.dispose();
await nullServer.stop();
