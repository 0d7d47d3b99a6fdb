import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MongoClient } from 'mongodb';
import { connectEventStore } from '../../src/eventstore/connection.js';
import { foldAccounts, readAccountEvents } from './account-events.js';
import { asReadSide, readSideOf } from './read-side.js';
import { RetryingCommands, type Deposit, type LoadTally } from './retrying-commands.js';
import { childServerPids, isJson, isNpmBanner, logged, npmStart, running, type NpmStart } from './npm-start.js';

// Issue 11: `npm start` under load, stopped by Ctrl-C (SIGINT to its process
// group, as a terminal sends it) or its Ledger process SIGKILLed. Children
// must not outlive it, and the next start must come up on the same data.

/** The bound for Ctrl-C: everything gone within 10 s. */
const CTRL_C_BOUND_MS = 10_000;

let dataDir: string;
const started: NpmStart[] = [];
beforeAll(() => { dataDir = mkdtempSync(join(tmpdir(), 'ledger-npm-start-')); });
afterAll(() => {
  for (const s of started) if (s.npm.exitCode === null && s.npm.signalCode === null) process.kill(-(s.npm.pid ?? 0), 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(check: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true;
  return check();
}

/** Opens `accounts` and keeps 16 callers depositing into them until stop() (few retries: the server goes away). */
async function underLoad(address: string, accounts: string[]): Promise<{ tally: LoadTally; stop(): Promise<void> }> {
  const commands = new RetryingCommands(address, 3);
  for (const id of accounts) await commands.openAccount(randomUUID(), id);
  const deposits: Deposit[] = Array.from({ length: 20_000 }, (_, i) => ({ commandId: randomUUID(), accountId: accounts[i % accounts.length] ?? '', amount: 1n }));
  const tally: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };
  const load = commands.depositAll(deposits, 16, tally);
  // The read side is busy once deposits are flowing.
  await until(() => tally.acknowledged.size >= 300, 60_000);
  return {
    tally,
    stop: async () => {
      deposits.length = 0; // the callers finish the deposit in hand and take no next one
      await load;
      commands.close();
    },
  };
}

describe('npm start', () => {
  const accounts = Array.from({ length: 50 }, () => randomUUID());

  test('SIGKILL of the Ledger process under load leaves no child server running, and the next start serves the same data', async () => {
    const first = await npmStart(dataDir);
    started.push(first);
    const load = await underLoad(first.address, accounts);
    const children = childServerPids(dataDir);
    expect(children.length).toBeGreaterThanOrEqual(2);

    process.kill(first.ledgerPid, 'SIGKILL');
    await first.exited;
    await load.stop();

    expect(await until(() => children.every((pid) => !running(pid)), 15_000)).toBe(true);
    const second = await npmStart(dataDir);
    started.push(second);
    const again = new RetryingCommands(second.address, 50);
    // NOT_FOUND (final) if the accounts opened before the kill were lost.
    const after: LoadTally = { attempts: 0, acknowledged: new Set(), refused: [] };
    await again.depositAll(accounts.map((accountId) => ({ commandId: randomUUID(), accountId, amount: 1n })), 4, after);
    again.close();
    expect(after.refused).toEqual([]);
    expect(childServerPids(dataDir).some((pid) => children.includes(pid))).toBe(false);
    // The read side (refilled from the event store: the default Mongo-wire server keeps nothing) equals the fold of the store.
    const esdb = connectEventStore(String(logged(second.lines, 'embedded event store started')?.['url']));
    const mongo = await MongoClient.connect(String(logged(second.lines, 'embedded Mongo-wire server started for the read model')?.['url']));
    try {
      const folded = foldAccounts(await readAccountEvents(esdb.client));
      expect(folded.size).toBe(accounts.length);
      expect(await readSideOf(mongo.db('ledger'), folded, 60_000)).toEqual(asReadSide(folded));
    } finally {
      await mongo.close();
      await esdb.close();
    }
    process.kill(-(second.npm.pid ?? 0), 'SIGINT');
    await second.exited;
  }, 300_000);

  test(`Ctrl-C under load stops Ledger and every child server within ${CTRL_C_BOUND_MS / 1000} s, and all it prints is JSON`, async () => {
    const ledger = await npmStart(dataDir);
    started.push(ledger);
    const load = await underLoad(ledger.address, Array.from({ length: 20 }, () => randomUUID()));
    const children = childServerPids(dataDir);
    expect(children.length).toBeGreaterThanOrEqual(2);

    process.kill(-(ledger.npm.pid ?? 0), 'SIGINT');
    const stoppedInTime = await until(() => ![ledger.npm.pid ?? 0, ledger.ledgerPid, ...children].some(running), CTRL_C_BOUND_MS);
    await load.stop();

    expect(stoppedInTime).toBe(true);
    const notJson = ledger.lines.filter((line) => !isNpmBanner(line) && !isJson(line));
    expect(notJson).toEqual([]);
    expect(ledger.lines.some((line) => line.includes('"ledger stopping"'))).toBe(true);
    // Every part stopped in order, then the last line says so (not an exit mid-stop).
    expect(ledger.lines.some((line) => line.includes('"ledger stopped"'))).toBe(true);
    expect(ledger.lines.some((line) => line.includes('did not stop in time'))).toBe(false);
  }, 300_000);
});
