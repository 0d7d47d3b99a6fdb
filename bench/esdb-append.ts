/**
 * Append throughput against a `ledger-esdb` child process through
 * @eventstore/db-client: 64 single-event appends in flight (fsync on and
 * off: group commit should make them close), then 100-event batches.
 *   npx tsx bench/esdb-append.ts [seconds per run, default 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { fmt, startBenchServer } from './esdb-child.js';

const seconds = Number(process.argv[2] ?? 5);

const run = async (label: string, args: string[], inFlight: number, batch: number): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-bench-'));
  const server = await startBenchServer(['--data', dir, ...args]);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  // Warm the connection and the server's JIT.
  await client.appendToStream('warmup', jsonEvent({ type: 'Warm', data: {} }));
  let events = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpu0 = server.cpuSeconds();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const evs = Array.from({ length: batch }, (_, k) => jsonEvent({ type: 'MoneyDeposited', data: { amount: i * batch + k + 1, w } }));
        await client.appendToStream(`account-${w}`, evs);
        events += batch;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const rate = events / elapsed;
  const serverCpu = server.cpuSeconds() - cpu0;
  console.log(`${label}: ${fmt(rate)} events/s (${fmt(events)} events in ${elapsed.toFixed(1)} s, server CPU ${(serverCpu / elapsed * 100).toFixed(0)}% of a core)`);
  await client.dispose();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  return rate;
};

const on = await run('64 in flight, 1 event, fsync on ', [], 64, 1);
const off = await run('64 in flight, 1 event, fsync off', ['--no-fsync'], 64, 1);
console.log(`fsync on / off: ${((on / off) * 100).toFixed(0)}%`);
await run('4 in flight, 100-event batches, fsync on', [], 4, 100);
