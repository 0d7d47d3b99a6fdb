import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { jsonEvent } from '@eventstore/db-client';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountStreamDamaged, getAccountAsOf, loadAccount } from '../../src/app/index.js';
import { loadConfig, type Config } from '../../src/config.js';
import { accountStream, encodeMetadata, eventDecoder, type EventDecoder } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { EsdbAccountSnapshots } from '../../src/eventstore/snapshot-account-store.js';
import { AccountGapReader } from '../../src/eventstore/persistent-subscription-gap-reader.js';
import { AccountLogReader } from '../../src/eventstore/rebuild-source.js';
import { AccountLogSubscription } from '../../src/eventstore/rebuild-subscription-source.js';
import { replayParkedAccountEvents } from '../../src/eventstore/persistent-subscription-admin.js';
import { takeSnapshot } from '../../src/app/take-snapshot.js';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { MongoReadModelStore } from '../../src/readmodels/mongo-read-model-store.js';
import { mongoRebuildCollections } from '../../src/readmodels/rebuild-collections.js';
import { rebuildTargetFor } from '../../src/readmodels/rebuild-target.js';
import { runRebuild } from '../../src/readmodels/rebuild.js';
import { recordedEventDecoder } from '../../src/readmodels/event-repairs.js';
import { listHeldAccounts } from '../../src/readmodels/held-accounts.js';
import type { RebuildProgress } from '../../src/readmodels/rebuild-progress.js';
import { startApi, type RunningApi } from '../../workers/api.js';
import { projectorSettings, startProjector } from '../../workers/projector.js';
import { LedgerClient } from '../commands/ledger-client.js';
import { ReadModelFixture, opened, quietLogger, testSettings } from '../projector/read-model-fixture.js';
import { depositUpcasters } from './deposit-upcasters.js';
import { writePoisonedAccounts } from './poisoned-account.js';

// One account stream with a MoneyDeposited {"amount":"abc"} appended by
// another writer (issue 14), read by every reader: the API's commands and
// as-of queries, snapshots, the projector, the seed and a rebuild.
let fx: ReadModelFixture;
let victim: string;
let healthy: string;
let badEventId: string;
const settingsDir = mkdtempSync(join(tmpdir(), 'ledger-repairs-'));

const configWith = (env: Record<string, string> = {}): Config =>
  loadConfig({ GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', LOG_LEVEL: 'silent', ...env });

async function withApi<T>(config: Config, use: (client: LedgerClient) => Promise<T>): Promise<T> {
  const api: RunningApi = await startApi({ config, esdbUrl: fx.esdbServer.connectionString, logger: quietLogger });
  const client = new LedgerClient(`127.0.0.1:${api.server.port}`);
  try {
    return await use(client);
  } finally {
    client.close();
    await api.stop();
  }
}

const deposit = (client: LedgerClient, accountId: string, amount: bigint) =>
  client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' });
const asOfRevision = (client: LedgerClient, accountId: string, revision: bigint) =>
  client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: revision } });

/** Rebuilds account_summaries of `db` into a fresh collection with `decoder`, without flipping readers to it. */
async function rebuiltSummary(db: Db, decoder: EventDecoder, accountId: string) {
  const collection = `account_summaries_rebuilt_${randomUUID().slice(0, 8)}`;
  const target = rebuildTargetFor('account_summaries', collection, new MongoReadModelStore(db, fx.readStore), new AccountGapReader(fx.esdb), mongoRebuildCollections(db, fx.readStore), decoder);
  const source = new AccountLogSubscription(fx.esdb, () => new AccountLogReader(fx.esdb).head());
  let progress: RebuildProgress | undefined;
  try {
    const outcome = await runRebuild(source, target, {
      activeCollection: async () => 'account_summaries',
      setActiveCollection: async () => {},
    }, {
      recorded: () => progress,
      record: async (p) => { progress = p; },
      cancelRequested: async () => false,
      scheduleDrop: async () => {},
    }, { projection: 'account_summaries', batchSize: 100, settleMs: 0 });
    expect(outcome.phase).toBe('completed');
  } finally {
    await source.close();
  }
  return (await db.collection(collection).findOne({ _id: accountId as never }, { useBigInt64: true })) ?? undefined;
}

beforeAll(async () => {
  fx = await ReadModelFixture.start();
  // Another writer, through @eventstore/db-client, stored data the codec refuses at the victim's revision 2.
  ({ victim, healthy, badEventId } = await writePoisonedAccounts(fx.esdb));
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

describe('an account with an undecodable event', () => {
  test('given no repair, commands are FAILED_PRECONDITION naming the event, as-of before it answers, the projector and a rebuild both hold it at its last good revision', async () => {
    const config = configWith();
    await withApi(config, async (client) => {
      const refused = await deposit(client, victim, 1n);
      expect(refused).toMatchObject({ ok: false, code: status.FAILED_PRECONDITION });
      if (refused.ok) return;
      expect(refused.errorInfo?.reason).toBe('ACCOUNT_STREAM_DAMAGED');
      expect(refused.errorInfo?.metadata).toMatchObject({ account_id: victim, event_id: badEventId, revision: '2' });
      expect(refused.message).toContain(badEventId);

      const before = await asOfRevision(client, victim, 1n);
      expect(before.ok && before.response.account?.balance).toBe(100n);
      for (const revision of [2n, 3n]) {
        const after = await asOfRevision(client, victim, revision);
        expect(after.ok ? 'answered' : after.errorInfo?.reason).toBe('ACCOUNT_STREAM_DAMAGED');
      }
      // Other accounts are not affected.
      expect((await deposit(client, healthy, 2n)).ok).toBe(true);
    });

    const store = new EsdbAccountEventStore(fx.esdb, projectorSettings(config).decoder);
    await expect(takeSnapshot(store, new EsdbAccountSnapshots(fx.esdb, { keep: 10, commandWindow: 100 }), victim)).rejects.toBeInstanceOf(AccountStreamDamaged);

    const projector = await fx.projector({ group: 'live', decoder: projectorSettings(config).decoder });
    try {
      await expect.poll(async () => fx.db.collection('projection_holds').countDocuments({ _id: victim as never }), { timeout: 15_000 }).toBe(1);
      await fx.expectReadModelEqualsEventStore([healthy]);
      // What the Admin API and `ledger-admin list` show for it.
      expect(await listHeldAccounts(fx.db, 100)).toEqual([expect.objectContaining({ accountId: victim, revision: 2n, eventId: badEventId })]);
    } finally {
      await projector.stop();
    }
    const live = (await fx.readModelOf(victim)).summary;
    expect(live).toMatchObject({ revision: 1n, balance: 100n });
    expect(await rebuiltSummary(fx.db, projectorSettings(config).decoder ?? eventDecoder(), victim)).toEqual(live);
  });

  test('given a correction deployed by setting (EVENT_REPAIRS_FILE), the command side, as-of, snapshots, the projector and a rebuild agree', async () => {
    const file = join(settingsDir, 'repairs.json');
    writeFileSync(file, JSON.stringify([{ event_id: badEventId, data: { amount: '250' }, note: 'the writer meant 250' }]));
    const config = configWith({ EVENT_REPAIRS_FILE: file });
    const decoder = projectorSettings(config).decoder;
    if (decoder === undefined) throw new Error('projectorSettings gave no decoder');
    expect(decoder.repairs).toEqual([`file:${file}`]);

    await withApi(config, async (client) => {
      const accepted = await deposit(client, victim, 1n);
      expect(accepted.ok && accepted.response.result).toMatchObject({ revision: 4n, balance: 358n });
      const atBad = await asOfRevision(client, victim, 2n);
      expect(atBad.ok && atBad.response.account?.balance).toBe(350n);
    });

    const store = new EsdbAccountEventStore(fx.esdb, decoder);
    const snapshots = new EsdbAccountSnapshots(fx.esdb, { keep: 10, commandWindow: 100 });
    expect(await takeSnapshot(store, snapshots, victim)).toBe('taken');
    expect((await loadAccount(store, victim, undefined, snapshots)).state).toMatchObject({ balance: 358n });

    // The projector restarts with the setting; the operator replays what was parked.
    const projector = await fx.projector({ group: 'live', decoder });
    try {
      await replayParkedAccountEvents(fx.esdb, 'live');
      await fx.expectReadModelEqualsEventStore([victim, healthy], 20_000, recordedEventDecoder(decoder));
    } finally {
      await projector.stop();
    }
    const live = (await fx.readModelOf(victim)).summary;
    expect(live).toMatchObject({ revision: 4n, balance: 358n });
    expect(await fx.db.collection('projection_holds').countDocuments()).toBe(0);
    // Rebuilt documents equal the live ones with the repair active: a rebuild no longer undoes it.
    expect(await rebuiltSummary(fx.db, decoder, victim)).toEqual(live);
    expect(await rebuiltSummary(fx.db, decoder, healthy)).toEqual((await fx.readModelOf(healthy)).summary);
  });
});

describe('a version-1 to version-2 (to version-3) upcaster chain', () => {
  test('given deposits stored at schema versions 1, 2 and 3, every reader reads them as the current version', async () => {
    const id = randomUUID();
    await fx.append(id, [opened(id)]);
    const meta = (schemaVersion: number) => encodeMetadata({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'old', causationId: 'old', schemaVersion });
    await fx.esdb.appendToStream(accountStream(id), [
      jsonEvent({ type: 'MoneyDeposited', data: { cents: 1500 }, metadata: meta(1) }),
      jsonEvent({ type: 'MoneyDeposited', data: { amount_minor: 20 }, metadata: meta(2) }),
      jsonEvent({ type: 'MoneyDeposited', data: { amount: '5' }, metadata: meta(3) }),
    ]);
    const decoder = eventDecoder({ upcasters: depositUpcasters });

    // Without the chain, version 1 does not decode: the command side refuses at revision 1.
    await expect(loadAccount(new EsdbAccountEventStore(fx.esdb), id)).rejects.toMatchObject({ reason: 'ACCOUNT_STREAM_DAMAGED', revision: 1n });

    // Command side, as-of and snapshots.
    const store = new EsdbAccountEventStore(fx.esdb, decoder);
    expect((await loadAccount(store, id)).state).toMatchObject({ balance: 1525n });
    expect((await getAccountAsOf(store, id, { revision: 1n })).state).toMatchObject({ balance: 1500n });
    const snapshots = new EsdbAccountSnapshots(fx.esdb, { keep: 10, commandWindow: 100 });
    expect(await takeSnapshot(store, snapshots, id)).toBe('taken');
    expect((await loadAccount(store, id, undefined, snapshots)).state).toMatchObject({ balance: 1525n });

    // The projector, its seed of the read model, and a rebuild, in a database of their own.
    const db = fx.mongo.db(`ledger_up_${randomUUID().slice(0, 8)}`);
    const projector = await startProjector(fx.esdb, db, testSettings({ readStore: fx.readStore, group: `up-${id}`, seedFromLog: true, decoder }), quietLogger);
    try {
      const seeded = await db.collection('account_summaries').findOne({ _id: id as never }, { useBigInt64: true });
      expect(seeded).toMatchObject({ revision: 3n, balance: 1525n });
      const rebuilt = await rebuiltSummary(db, decoder, id);
      expect(rebuilt).toEqual(seeded);
    } finally {
      await projector.stop();
    }
  });
});
