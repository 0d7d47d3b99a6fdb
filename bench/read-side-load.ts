/**
 * Load generator for bench/read-side.ts, run as its own process (forked with
 * an IPC channel) so that its CPU is not counted as the projector's.
 *
 * The event log is the same in every run for the same arguments (seeded
 * PRNG): `accounts` AccountOpened events first, then deposits and
 * withdrawals (integer minor units, a withdrawal never beyond the balance)
 * on accounts drawn uniformly, `events` in all. One event per append at
 * the account's exact expected revision (as a command appends), through
 * Ledger's own adapter (EsdbAccountEventStore), paced at `rate` events/s
 * with at most MAX_IN_FLIGHT appends outstanding.
 *
 *   parent -> child: { go: true } starts the load; { exit: true } ends the process
 *   child -> parent: ready (ids), progress (appended), done (totals, expected state)
 *
 *   node --import tsx bench/read-side-load.ts <esdb-url> <accounts> <events> <rate> [seed]
 */
import { randomUUID } from 'node:crypto';
import { EventStoreDBClient } from '@eventstore/db-client';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { EVENT_SCHEMA_VERSION, accountStream, type AccountEvent } from '../src/domain/index.js';
import type { NewEvent } from '../src/app/index.js';

export type LoadMessage =
  | { readonly type: 'ready'; readonly ids: readonly string[] }
  | { readonly type: 'progress'; readonly appended: number; readonly failed: number }
  | {
      readonly type: 'done';
      readonly appended: number;
      readonly failed: number;
      readonly seconds: number;
      /** Per account, in `ids` order: [last revision, balance] as strings; only what was acknowledged. */
      readonly expected: readonly (readonly [string, string])[];
      readonly appendP50Ms: number;
      readonly appendP99Ms: number;
    };

const MAX_IN_FLIGHT = 256;

/** mulberry32: small, fast, seeded; the log's content must not depend on the run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Planned = { readonly account: number; readonly event: AccountEvent };

/** The whole log, in append order. */
export function plannedLog(accounts: number, events: number, seed: number): { ids: string[]; plan: Planned[] } {
  const rnd = prng(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const ids = Array.from({ length: accounts }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`);
  const plan: Planned[] = ids.map((accountId, i) => ({ account: i, event: { type: 'AccountOpened', data: { accountId, ownerId: `owner-${i % 500}`, currency: 'EUR' } } }));
  const balance = new Array<bigint>(accounts).fill(0n);
  while (plan.length < events) {
    const account = Math.floor(rnd() * accounts);
    const have = balance[account]!;
    if (have > 0n && rnd() < 0.4) {
      const amount = 1n + BigInt(Math.floor(rnd() * Number(have < 50_000n ? have : 50_000n)));
      balance[account] = have - amount;
      plan.push({ account, event: { type: 'MoneyWithdrawn', data: { amount } } });
    } else {
      const amount = 1n + BigInt(Math.floor(rnd() * 100_000));
      balance[account] = have + amount;
      plan.push({ account, event: { type: 'MoneyDeposited', data: { amount } } });
    }
  }
  return { ids, plan };
}

async function main(): Promise<void> {
  const [url, accountsArg, eventsArg, rateArg, seedArg] = process.argv.slice(2);
  if (url === undefined || process.send === undefined) throw new Error('usage: forked by bench/read-side.ts with <esdb-url> <accounts> <events> <rate> [seed]');
  const send = (m: LoadMessage) => process.send?.(m);
  const accounts = Number(accountsArg);
  const events = Number(eventsArg);
  const rate = Number(rateArg);
  const { ids, plan } = plannedLog(accounts, events, Number(seedArg ?? 11));
  const client = EventStoreDBClient.connectionString(url);
  const store = new EsdbAccountEventStore(client);
  const revision = new Array<bigint>(accounts).fill(-1n);
  const balance = new Array<bigint>(accounts).fill(0n);
  /** The account's append in flight: the next one for it waits (exact expected revision). */
  const chain = new Map<number, Promise<void>>();
  const latencies: number[] = [];
  let appended = 0;
  let failed = 0;
  let inFlight = 0;

  const append = async (p: Planned): Promise<void> => {
    const stream = accountStream(ids[p.account]!);
    const metadata = { occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'bench-load', causationId: 'bench-load', schemaVersion: EVENT_SCHEMA_VERSION };
    const t = performance.now();
    try {
      const out = await store.appendToStream(stream, [{ event: p.event, metadata } satisfies NewEvent], revision[p.account]!);
      latencies.push(performance.now() - t);
      revision[p.account] = out.revision;
      const e = p.event;
      if (e.type === 'MoneyDeposited') balance[p.account] = balance[p.account]! + e.data.amount;
      if (e.type === 'MoneyWithdrawn') balance[p.account] = balance[p.account]! - e.data.amount;
      appended += 1;
    } catch (err) {
      failed += 1;
      if (failed <= 3) console.error(`append to ${stream} failed: ${String(err)}`);
    }
  };

  send({ type: 'ready', ids });
  await new Promise<void>((resolve) => process.on('message', (m: { go?: boolean }) => { if (m.go === true) resolve(); }));
  const progress = setInterval(() => send({ type: 'progress', appended, failed }), 100);
  const t0 = performance.now();
  let issued = 0;
  let wake: (() => void) | undefined;
  while (issued < plan.length) {
    const due = Math.min(plan.length, Math.floor(((performance.now() - t0) / 1000) * rate));
    while (issued < due && inFlight < MAX_IN_FLIGHT) {
      const p = plan[issued++]!;
      inFlight += 1;
      const run = (chain.get(p.account) ?? Promise.resolve()).then(() => append(p));
      const settled = run.finally(() => {
        inFlight -= 1;
        if (chain.get(p.account) === settled) chain.delete(p.account);
        wake?.();
      });
      chain.set(p.account, settled);
    }
    // Wait for the next 2 ms tick, or for a slot when the in-flight bound is hit.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2);
      wake = () => { clearTimeout(timer); wake = undefined; resolve(); };
    });
  }
  await Promise.all([...chain.values()]);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(progress);
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => +(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0).toFixed(1);
  send({
    type: 'done', appended, failed, seconds,
    expected: ids.map((_, i) => [revision[i]!.toString(), balance[i]!.toString()] as const),
    appendP50Ms: pct(0.5), appendP99Ms: pct(0.99),
  });
  await new Promise<void>((resolve) => process.on('message', (m: { exit?: boolean }) => { if (m.exit === true) resolve(); }));
  await client.dispose();
  process.exit(0);
}

if (process.argv[1]?.endsWith('read-side-load.ts') === true) await main();
