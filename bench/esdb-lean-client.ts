/**
 * The lean append and read paths (src/eventstore/batch-appender.ts,
 * stream-reader.ts) beside the client's own (appendToStream, readStream),
 * in one process against one `ledger-esdb` child, alternated three times:
 * this process's CPU per operation is what each path costs the API and the
 * transfer process. Appends: 64 in flight, one event each (an account
 * event's size and metadata). Reads: 64 in flight, a 20-event stream each.
 *   npm run bench -- esdb-lean-client [seconds per run, default 3]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, FORWARDS, jsonEvent, type ResolvedEvent } from '@eventstore/db-client';
import { appendEvents } from '../src/eventstore/batch-appender.js';
import { readStreamForwards } from '../src/eventstore/stream-reader.js';
import { startBenchServer } from './esdb-child.js';

const seconds = Number(process.argv[2] ?? 3);
const IN_FLIGHT = 64;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};

const event = (i: number) =>
  jsonEvent({
    id: randomUUID(),
    type: 'MoneyDeposited',
    data: { amount: String(i + 1), currency: 'EUR', transactionId: randomUUID() },
    metadata: new TextEncoder().encode(JSON.stringify({ occurred_at: new Date().toISOString(), command_id: randomUUID(), correlation_id: 'c', causation_id: 'c', schema_version: 2 })),
  });

type Path = { readonly label: string; op(w: number, i: number): Promise<unknown> };

const measure = async (path: Path): Promise<{ perSecond: number; cpuPerOp: number }> => {
  let ops = 0;
  const deadline = performance.now() + seconds * 1000;
  const c0 = cpuMs();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await path.op(w, i);
        ops++;
      }
    }),
  );
  return { perSecond: (ops * 1000) / (performance.now() - t0), cpuPerOp: (cpuMs() - c0) / ops };
};

const main = async (): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-lean-'));
  const server = await startBenchServer(['--data', dir, '--no-fsync']);
  const client = EventStoreDBClient.connectionString(server.connectionString);
  try {
    const run = randomUUID().slice(0, 8);
    // 64 streams of 20 events to read.
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => client.appendToStream(`read-${run}-${w}`, Array.from({ length: 20 }, (_, i) => event(i)))));
    const drain = async (read: AsyncIterable<ResolvedEvent>): Promise<number> => {
      let n = 0;
      for await (const _ of read) n++;
      return n;
    };
    const paths: Path[][] = [
      [
        { label: 'append, client appendToStream', op: (w) => client.appendToStream(`client-${run}-${w}`, [event(w)]) },
        { label: 'append, lean appendEvents', op: (w) => appendEvents(client, `lean-${run}-${w}`, [event(w)], { expectedRevision: 'any' }) },
      ],
      [
        { label: 'read 20 events, client readStream', op: (w) => drain(client.readStream(`read-${run}-${w}`, { fromRevision: 0n, direction: FORWARDS })) },
        { label: 'read 20 events, lean readStreamForwards', op: (w) => readStreamForwards(client, `read-${run}-${w}`, 0n, 1_000n) },
      ],
    ];
    for (const pair of paths) for (const p of pair) await measure({ ...p, label: 'warm-up' });
    console.log('| round | path | per second | this process CPU ms per op | lean / client CPU |\n|---|---|---|---|---|');
    for (let round = 1; round <= 3; round++) {
      for (const [clientPath, leanPath] of paths) {
        const a = await measure(clientPath!);
        const b = await measure(leanPath!);
        console.log(`| ${round} | ${clientPath!.label} | ${a.perSecond.toFixed(0)} | ${a.cpuPerOp.toFixed(3)} | |`);
        console.log(`| ${round} | ${leanPath!.label} | ${b.perSecond.toFixed(0)} | ${b.cpuPerOp.toFixed(3)} | ${(b.cpuPerOp / a.cpuPerOp).toFixed(2)} |`);
      }
    }
  } finally {
    await client.dispose();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
