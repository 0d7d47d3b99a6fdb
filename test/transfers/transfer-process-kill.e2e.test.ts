import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CommandHandler, Transfers, transferIdFor } from '../../src/app/index.js';
import { LedgerError, type AccountCommand } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { auditEventStore } from '../../src/eventstore/money-audit-source.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import type { RunningProjector } from '../../workers/projector.js';
import { ReadModelFixture } from '../projector/read-model-fixture.js';

const ACCOUNTS = 100;
const TRANSFERS = 1_000;
const KILLS = 6;
const IN_FLIGHT = 16;

let fx: ReadModelFixture;
let projector: RunningProjector;
let esdbUrl: string;
let esdb: EventStoreConnection;
let handler: CommandHandler;
let transfers: Transfers;
const group = `transfers-kill-${randomUUID()}`;

beforeAll(async () => {
  // The event store and a projector into Mongo, so the read documents can be compared with the fold at the end.
  fx = await ReadModelFixture.start();
  projector = await fx.projector({ group: `projector-kill-${randomUUID()}` });
  esdbUrl = fx.esdbServer.connectionString;
  esdb = connectEventStore(esdbUrl);
  const store = new EsdbAccountEventStore(esdb.client);
  handler = new CommandHandler({ store, maxRetries: 50 });
  transfers = new Transfers(handler, new EsdbTransferEventStore(esdb.client));
});
afterAll(async () => {
  await esdb?.close();
  await projector?.stop();
  await fx?.stop();
});

/** The real entry point, one process, so SIGKILL is a crash at whatever step it was in. */
function transferProcess(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'workers/transfer-process.ts'], {
    env: {
      ...process.env,
      ESDB_URL: esdbUrl,
      TRANSFER_GROUP: group,
      TRANSFER_CONCURRENCY: '32',
      // Messages the killed process held come back after the group's timeout; the watchdog gets there first.
      TRANSFER_WATCHDOG_MS: '300',
      TRANSFER_STUCK_AFTER_MS: '1500',
      METRICS_PORT: '0',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exited = (p: ChildProcess): Promise<unknown> => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)));

/** A small seeded generator: the same run every time, yet spread over accounts, amounts and kill moments. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32);
}

test('1,000 transfers among 100 accounts while the transfer process is SIGKILLed 6 times: every transfer ends completed or failed, none credited or refunded twice, the audit holds, the read documents equal the fold', async () => {
  const random = lcg(15);
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const accounts = Array.from({ length: ACCOUNTS }, () => randomUUID());
  for (const accountId of accounts) {
    await run({ type: 'OpenAccount', data: { accountId, ownerId: 'kill-test', currency: 'EUR' } });
    await run({ type: 'Deposit', data: { accountId, amount: 5_000n, currency: 'EUR' } });
  }
  // A few destinations refuse: one closed account, and transfers to accounts that do not exist.
  const closed = randomUUID();
  await run({ type: 'OpenAccount', data: { accountId: closed, ownerId: 'kill-test', currency: 'EUR' } });
  await run({ type: 'CloseAccount', data: { accountId: closed } });

  let worker = transferProcess();
  const spawned = [worker];
  let killing: Promise<void> = Promise.resolve();
  const killAt = new Set(Array.from({ length: KILLS }, (_, i) => Math.floor(((i + 0.5 + random() * 0.5) * TRANSFERS) / (KILLS + 1))));
  let kills = 0;
  let spawnedAt = 0;
  const accepted: string[] = [];
  const workingSince = async (index: number): Promise<void> => {
    for (let round = 0; round < 400; round++) {
      for (const transferId of accepted.slice(index)) if ((await transfers.getTransfer(transferId)).status !== 'pending') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the transfer process took no transfer to an outcome');
  };
  let refused = 0;
  let next = 0;
  const submit = async (): Promise<void> => {
    for (let i = next++; i < TRANSFERS; i = next++) {
      if (killAt.has(i)) {
        // One kill at a time (submitters run concurrently), each of a process that is at work:
        // one it has taken to an outcome since it started, others still in its hands.
        killing = killing.then(async () => {
          await workingSince(spawnedAt);
          worker.kill('SIGKILL');
          await exited(worker);
          kills += 1;
          spawnedAt = accepted.length;
          worker = transferProcess();
          spawned.push(worker);
        });
        await killing;
      }
      const from = accounts[Math.floor(random() * ACCOUNTS)]!;
      const roll = random();
      const to = roll < 0.03 ? randomUUID() : roll < 0.05 ? closed : accounts[Math.floor(random() * ACCOUNTS)]!;
      if (to === from) continue;
      const commandId = randomUUID();
      const transferId = transferIdFor(from, commandId);
      try {
        await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: from, transferId, toAccountId: to, amount: BigInt(1 + Math.floor(random() * 900)), currency: 'EUR' } }, commandId });
        accepted.push(transferId);
      } catch (err) {
        if (!(err instanceof LedgerError) || err.reason !== 'INSUFFICIENT_FUNDS') throw err;
        refused += 1;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, submit));
    expect(kills).toBe(KILLS);
    expect(accepted.length).toBeGreaterThan(TRANSFERS * 0.8);

    const outcomes = new Map<string, number>();
    for (const transferId of accepted) {
      const t = await transfers.getTransfer(transferId, Date.now() + 60_000);
      outcomes.set(t.status, (outcomes.get(t.status) ?? 0) + 1);
    }
    expect(outcomes.get('pending') ?? 0).toBe(0);
    expect((outcomes.get('completed') ?? 0) + (outcomes.get('failed') ?? 0)).toBe(accepted.length);
    expect(outcomes.get('failed') ?? 0).toBeGreaterThan(0);

    const audit = await auditEventStore(esdb.client);
    expect(audit.violations).toEqual([]);
    expect(audit.inFlight).toBe(0n);
    expect(audit.balances).toBe(5_000n * BigInt(ACCOUNTS));
    expect(refused + accepted.length).toBeLessThanOrEqual(TRANSFERS);
    // The read documents (summaries with money in flight, transactions) equal the fold of every stream.
    await fx.expectReadModelEqualsEventStore([...accounts, closed], 120_000);
  } finally {
    for (const p of spawned) {
      p.kill('SIGKILL');
      await exited(p);
    }
  }
}, 300_000);
