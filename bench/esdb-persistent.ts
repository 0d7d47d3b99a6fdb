/**
 * Persistent-subscription throughput of the embedded server: events/s a
 * group delivers and gets acked, server in its own process (`ledger-esdb
 * --memory`), client here. Runs one consumer and two consumers (RoundRobin),
 * acking each event as it arrives, with the client's default buffer size
 * and a larger one.
 *
 *   npx tsx bench/esdb-persistent.ts [events=20000]
 */
import {
  EventStoreDBClient,
  START,
  jsonEvent,
  persistentSubscriptionToStreamSettingsFromDefaults as streamSettings,
  type PersistentSubscriptionToStream,
} from '@eventstore/db-client';
import { startBenchServer } from './esdb-child.js';

const total = Number(process.argv[2] ?? 20_000);

/** Drains `count` events through `consumers` subscribers of a fresh group; returns events/s. */
async function run(client: EventStoreDBClient, stream: string, consumers: number, bufferSize: number): Promise<number> {
  const group = `bench-${consumers}-${bufferSize}`;
  await client.createPersistentSubscriptionToStream(stream, group, streamSettings({ startFrom: START, consumerStrategyName: 'RoundRobin' }));
  const subs: PersistentSubscriptionToStream[] = [];
  const t0 = performance.now();
  let seen = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < consumers; i++) {
      const sub = client.subscribeToPersistentSubscriptionToStream(stream, group, { bufferSize });
      subs.push(sub);
      sub.on('data', (e) => {
        void sub.ack(e);
        if (++seen === total) resolve();
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
console.log(`persistent subscription, ${total} events from history, ack per event:`);
for (const [consumers, bufferSize] of [
  [1, 10],
  [1, 100],
  [2, 100],
] as const) {
  const cpu0 = server.cpuSeconds();
  const rate = await run(client, stream, consumers, bufferSize);
  const serverCpuPerEvent = ((server.cpuSeconds() - cpu0) * 1e6) / total;
  console.log(
    `  ${consumers} consumer(s), bufferSize ${bufferSize}: ${Math.round(rate).toLocaleString('en-US')} events/s (server CPU ${Math.round(serverCpuPerEvent)} µs/event)`,
  );
}
await client.dispose();
await server.stop();
