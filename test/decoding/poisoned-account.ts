import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKWARDS, END, StreamNotFoundError, jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { status } from '@grpc/grpc-js';
import { expect } from 'vitest';
import { accountStream, encodeMetadata, type AccountEvent } from '../../src/domain/index.js';
import { encodeEventData } from '../../src/domain/event-codec.js';
import { connectEventStore } from '../../src/eventstore/connection.js';
import { AdminClient } from '../../src/grpc/admin-service-client.js';
import { RebuildState, type Rebuild } from '../../src/grpc/gen/ledger/v1/admin_pb.js';
import { TransferStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { deposited, opened } from '../projector/read-model-fixture.js';

/**
 * Issue 14 as processes see it: a healthy account, and a victim whose
 * stream holds MoneyDeposited {"amount":"abc"} at revision 2 (another
 * writer, through @eventstore/db-client), then a good deposit of 7. The
 * checks below are what a user of the running processes sees, before and
 * after EVENT_REPAIRS_FILE corrects the event to 250.
 */
export type PoisonedAccounts = { readonly victim: string; readonly healthy: string; readonly badEventId: string };

export const ADMIN_TOKEN = 'poisoned-account-admin-token';
/** The projector's PROJECTOR_MAX_RETRIES in these tests: the bad event is parked after this many + 1 deliveries. */
export const MAX_RETRIES = 1;

const metadata = () => encodeMetadata({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'seed', causationId: 'seed', schemaVersion: 1 });
const append = (client: EventStoreDBClient, accountId: string, events: readonly AccountEvent[]) =>
  client.appendToStream(accountStream(accountId), events.map((e) => jsonEvent({ type: e.type, data: encodeEventData(e), metadata: metadata() })));

export async function writePoisonedAccounts(client: EventStoreDBClient): Promise<PoisonedAccounts> {
  const victim = randomUUID();
  const healthy = randomUUID();
  await append(client, healthy, [opened(healthy), deposited(40n)]);
  await append(client, victim, [opened(victim), deposited(100n)]);
  const bad = jsonEvent({ type: 'MoneyDeposited', data: { amount: 'abc' }, metadata: metadata() });
  await client.appendToStream(accountStream(victim), [bad]);
  await append(client, victim, [deposited(7n)]);
  return { victim, healthy, badEventId: bad.id };
}

/** EVENT_REPAIRS_FILE's content: empty before the repair, the correction after. */
export function writeRepairs(file: string, badEventId?: string): void {
  writeFileSync(file, JSON.stringify(badEventId === undefined ? [] : [{ event_id: badEventId, data: { amount: '250' }, note: 'the writer meant 250' }]));
}

const deposit = (client: LedgerClient, accountId: string, amount: bigint) =>
  client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' });
const asOf = (client: LedgerClient, accountId: string, revision: bigint) =>
  client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: revision } });
async function readModel(client: LedgerClient, accountId: string, minRevision: bigint) {
  const read = await client.call(AccountQueries.method.getAccount, { accountId, minRevision }, { deadlineMs: 30_000 });
  if (!read.ok) throw new Error(`GetAccount ${accountId}: ${read.code} ${read.message}`);
  return { revision: read.response.account?.revision, balance: read.response.account?.balance };
}

/** Runs a rebuild of account_summaries through the Admin API to its end. */
async function rebuild(admin: AdminClient): Promise<Rebuild> {
  const started = (await admin.startRebuild('account_summaries')).rebuild;
  if (started === undefined) throw new Error('StartRebuild answered no rebuild');
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    const r = (await admin.getRebuild(started.id)).rebuild;
    if (r && (r.state === RebuildState.COMPLETED || r.state === RebuildState.FAILED || r.state === RebuildState.CANCELLED)) return r;
  }
  throw new Error(`rebuild ${started.id} did not finish within 60 s`);
}

/** Without a repair: the victim is held everywhere at revision 1, the healthy account is served. */
export async function expectVictimHeld(apiAddress: string, adminAddress: string, { victim, healthy, badEventId }: PoisonedAccounts, projectorGroup = 'ledger-projector'): Promise<void> {
  const client = new LedgerClient(apiAddress);
  const admin = new AdminClient(adminAddress, ADMIN_TOKEN);
  try {
    const refused = await deposit(client, victim, 1n);
    expect(refused).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION });
    if (refused.ok) return;
    expect(refused.errorInfo?.reason).toBe('ACCOUNT_STREAM_DAMAGED');
    expect(refused.errorInfo?.metadata).toMatchObject({ account_id: victim, event_id: badEventId, revision: '2' });
    const before = await asOf(client, victim, 1n);
    expect(before.ok && before.response.account?.balance).toBe(100n);
    const after = await asOf(client, victim, 3n);
    expect(after.ok ? 'answered' : after.errorInfo?.reason).toBe('ACCOUNT_STREAM_DAMAGED');

    // Other accounts: commands, and the projector goes on with them.
    const other = await deposit(client, healthy, 2n);
    expect(other.ok && other.response.result).toMatchObject({ revision: 2n, balance: 42n });
    expect(await readModel(client, healthy, 2n)).toEqual({ revision: 2n, balance: 42n });

    // The projector parked the event and holds the account; the Admin API says which and how often it was tried.
    await expect.poll(async () => (await admin.listProjections()).heldAccounts.map((h) => [h.accountId, h.revision, h.eventId]), { timeout: 30_000 })
      .toEqual([[victim, 2n, badEventId]]);
    // Every Ledger group's parked events are listed; the transfer process reads account events too and
    // parks an undecodable one in its own group at once, so only the projector's group is checked here.
    const parked = (await admin.listProjections()).parkedEvents.filter((p) => p.group === projectorGroup).map((p) => [p.eventId, p.accountId, p.attempts]);
    expect(parked).toEqual([[badEventId, victim, MAX_RETRIES + 1]]);
    expect(await readModel(client, victim, 1n)).toEqual({ revision: 1n, balance: 100n });

    // A rebuild holds it alike and says so.
    const rebuilt = await rebuild(admin);
    expect(rebuilt.state).toBe(RebuildState.COMPLETED);
    expect(rebuilt.heldAccounts.map((h) => [h.accountId, h.revision, h.eventId])).toEqual([[victim, 2n, badEventId]]);
    expect(await readModel(client, victim, 1n)).toEqual({ revision: 1n, balance: 100n });
  } finally {
    client.close();
    admin.close();
  }
}

/** The newest snapshot of an account the jobs process took, as stored; undefined while there is none. */
async function latestSnapshot(esdbUrl: string, accountId: string): Promise<unknown> {
  const esdb = connectEventStore(esdbUrl);
  try {
    for await (const e of esdb.client.readStream(`snapshot-account-${accountId}`, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) return e.event?.data;
    return undefined;
  } catch (err) {
    if (err instanceof StreamNotFoundError) return undefined;
    throw err;
  } finally {
    await esdb.close();
  }
}

/**
 * Restarted with the correction (250): commands, as-of, the snapshot the
 * jobs process takes (SNAPSHOT_EVERY=5), the projector's document, a
 * transfer and a rebuild agree.
 */
export async function expectVictimRepaired(apiAddress: string, adminAddress: string, esdbUrl: string, { victim, healthy }: PoisonedAccounts): Promise<void> {
  const client = new LedgerClient(apiAddress);
  const admin = new AdminClient(adminAddress, ADMIN_TOKEN);
  try {
    expect((await admin.listProjections()).eventRepairs).toEqual([expect.stringMatching(/^file:/)]);
    const accepted = await deposit(client, victim, 1n);
    expect(accepted.ok ? accepted.response.result : accepted.message).toMatchObject({ revision: 4n, balance: 358n });
    const atBad = await asOf(client, victim, 2n);
    expect(atBad.ok && atBad.response.account?.balance).toBe(350n);
    // Revision 4 is the 5th event (SNAPSHOT_EVERY): the jobs process folds the repaired stream into the snapshot.
    await expect.poll(() => latestSnapshot(esdbUrl, victim), { timeout: 20_000 }).toMatchObject({ revision: '4', state: { account: { balance: '358' } } });

    // The operator replays what was parked; the projector applies it with the repair.
    await admin.replayParked('');
    expect(await readModel(client, victim, 4n)).toEqual({ revision: 4n, balance: 358n });
    await expect.poll(async () => (await admin.listProjections()).heldAccounts.length, { timeout: 20_000 }).toBe(0);
    // The transfer process parked the event in its own group: the operator replays that group too, and nothing stays parked.
    for (const group of new Set((await admin.listProjections()).parkedEvents.map((p) => p.group))) await admin.replayParked(group);
    await expect.poll(async () => (await admin.listProjections()).parkedEvents, { timeout: 20_000 }).toEqual([]);

    // The transfer process reads the repaired account too: a credit to it completes.
    const sent = await client.call(AccountCommands.method.transferMoney, { commandId: randomUUID(), fromAccountId: healthy, toAccountId: victim, amount: 5n, currency: 'EUR' });
    if (!sent.ok) throw new Error(`TransferMoney: ${sent.message}`);
    const done = await client.call(AccountQueries.method.getTransfer, { transferId: sent.response.transferId, waitForCompletion: true }, { deadlineMs: 30_000 });
    expect(done.ok && done.response.transfer?.status).toBe(TransferStatus.COMPLETED);
    const live = await readModel(client, victim, 5n);
    expect(live).toEqual({ revision: 5n, balance: 363n });

    const rebuilt = await rebuild(admin);
    expect(rebuilt.state).toBe(RebuildState.COMPLETED);
    expect(rebuilt.heldAccounts).toEqual([]);
    expect(await readModel(client, victim, 5n)).toEqual(live);
  } finally {
    client.close();
    admin.close();
  }
}
