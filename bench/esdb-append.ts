/**
 * Append throughput against a `ledger-esdb` child process through
 * @eventstore/db-client: 64 single-event appends in flight (fsync on and
 * off: group commit should make them close), then 100-event batches, each
 * alternated three times with bench/null-esdb-server.ts behind the same
 * client (answers every append at once) and given as a share of it.
 *   npx tsx bench/esdb-append.ts [seconds per run, default 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { fmt, startBenchServer } from './esdb-child.js';

const seconds = Number(process.argv[2] ?? 5);

const clientCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

const run = async (label: string, args: string[], inFlight: number, batch: number, opts: { null?: boolean; seconds?: number } = {}): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-bench-'));
  const server = await startBenchServer(opts.null === true ? [] : ['--data', dir, ...args], opts);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  // Warm the connection and the server's JIT.
  await client.appendToStream('warmup', jsonEvent({ type: 'Warm', data: {} }));
  let events = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + (opts.seconds ?? seconds) * 1000;
  const cpu0 = server.cpuSeconds();
  const ccpu0 = clientCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const evs = Array.from({ length: batch }, (_, k) => jsonEvent({ type: 'MoneyDeposited', data: { amount: i * batch + k + 1, w } }));
        const a0 = performance.now();
        await client.appendToStream(`account-${w}`, evs);
        latencies.push(performance.now() - a0);
        events += batch;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const rate = events / elapsed;
  const serverCpu = server.cpuSeconds() - cpu0;
  const ownCpu = clientCpu() - ccpu0;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label}: ${fmt(rate)} events/s (${fmt(events)} events in ${elapsed.toFixed(1)} s; append p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms; ` +
      `CPU server ${((serverCpu / elapsed) * 100).toFixed(0)}%, client ${((ownCpu / elapsed) * 100).toFixed(0)}% of a core; server RSS ${fmt(server.rssMiB())} MiB)`,
  );
  await client.dispose();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  return rate;
};

// The same client against a server that does nothing: the ceiling of this client on this machine.
// A short warm-up first (the client's code paths run at half speed cold, which would flatter
// ours), then runs alternate, three of each, so that a change in the machine's load hits both.
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const alternate = async (label: string, inFlight: number, batch: number): Promise<{ ours: number; ceiling: number }> => {
  await run(`warm-up, null server, ${label}`, [], inFlight, batch, { null: true, seconds: 2 });
  const ours: number[] = [];
  const ceiling: number[] = [];
  for (let i = 0; i < 3; i++) {
    ceiling.push(await run(`null server, ${label}`, [], inFlight, batch, { null: true }));
    ours.push(await run(`${label}, fsync on`, [], inFlight, batch));
  }
  console.log(`${label}, fsync on, mean of 3 alternating: ${fmt(mean(ours))} / null server ${fmt(mean(ceiling))} events/s = ${((mean(ours) / mean(ceiling)) * 100).toFixed(0)}%`);
  return { ours: mean(ours), ceiling: mean(ceiling) };
};
const single = await alternate('64 in flight, 1 event', 64, 1);
const off = await run('64 in flight, 1 event, fsync off', ['--no-fsync'], 64, 1);
console.log(`fsync on / off: ${((single.ours / off) * 100).toFixed(0)}%`);
await alternate('4 in flight, 100 events', 4, 100);
