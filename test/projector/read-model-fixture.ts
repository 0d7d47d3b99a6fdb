import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { expect } from 'vitest';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';
import { startTestMongo, type MongoWireKind, type TestMongo } from '../support/mongo-wire.js';
import { accountStream, type AccountEvent } from '../../src/domain/events.js';
import { encodeEventData, encodeMetadata } from '../../src/domain/event-codec.js';
import { AccountGapReader } from '../../src/eventstore/persistent-subscription-gap-reader.js';
import { foldAccount } from '../../src/readmodels/account-fold.js';
import { toRecordedAccountEvent } from '../../src/readmodels/recorded-account-event.js';
import { startProjector, type ProjectorHooks, type ProjectorSettings, type RunningProjector } from '../../workers/projector.js';
import type { AccountEventDecoder } from '../../src/readmodels/event-repairs.js';

export const quietLogger = pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });

export const testSettings = (overrides: Partial<ProjectorSettings> = {}): ProjectorSettings => ({
  group: 'projector-test',
  consumerStrategy: 'Pinned',
  batchSize: 100,
  batchMs: 20,
  maxRetries: 2,
  retryBackoffMs: 20,
  messageTimeoutMs: 2_000,
  statusIntervalMs: 200,
  ...overrides,
});

/** Real servers for one test file: the embedded event store, a Mongo-wire server (mongo-java-server unless asked), and clients. */
export class ReadModelFixture {
  private constructor(
    readonly esdbServer: EsdbServer,
    private mongoServer: TestMongo,
    private readonly mongoDataDir: string | undefined,
    readonly mongoKind: MongoWireKind,
    readonly esdb: EventStoreDBClient,
    readonly mongo: MongoClient,
    readonly db: Db,
  ) {}

  static async start(opts: { mongoDataDir?: string; mongo?: MongoWireKind } = {}): Promise<ReadModelFixture> {
    const esdbServer = await startEsdbServer({ port: 0, memory: true });
    const kind = opts.mongo ?? 'mongo-java-server';
    const mongoServer = await startTestMongo(kind, opts.mongoDataDir === undefined ? {} : { dataDir: opts.mongoDataDir });
    const esdb = EventStoreDBClient.connectionString(esdbServer.connectionString);
    // Short server selection: an outage shows up as an error the projector waits out.
    const mongo = await MongoClient.connect(mongoServer.url, { serverSelectionTimeoutMS: 1_000 });
    return new ReadModelFixture(esdbServer, mongoServer, opts.mongoDataDir, kind, esdb, mongo, mongo.db(`ledger_${randomUUID().slice(0, 8)}`));
  }

  async projector(overrides: Partial<ProjectorSettings> = {}, hooks: ProjectorHooks = {}): Promise<RunningProjector> {
    return startProjector(this.esdb, this.db, testSettings({ readStore: this.mongoServer.profile, ...overrides }), quietLogger, undefined, hooks);
  }

  /** The profile of the Mongo-wire server under test (bulk size, guard index). */
  get readStore() {
    return this.mongoServer.profile;
  }

  /** Stops Mongo and returns a function that starts it again on the same port and data (FerretDB keeps its data; mongo-java-server comes back empty). */
  async stopMongo(): Promise<() => Promise<void>> {
    if (this.mongoDataDir === undefined) throw new Error('start the fixture with a mongoDataDir to restart Mongo');
    const port = Number(new URL(this.mongoServer.url).port);
    await this.mongoServer.stop();
    return async () => {
      this.mongoServer = await startTestMongo(this.mongoKind, { dataDir: this.mongoDataDir, port });
    };
  }

  get mongoUrl(): string {
    return this.mongoServer.url;
  }

  async stop(): Promise<void> {
    await this.mongo.close();
    await this.esdb.dispose();
    await this.mongoServer.stop();
    await this.esdbServer.stop();
  }

  /** Appends domain events the way the command side stores them. */
  async append(accountId: string, events: readonly AccountEvent[], at = new Date()): Promise<void> {
    await this.esdb.appendToStream(
      accountStream(accountId),
      events.map((event, i) =>
        jsonEvent({
          type: event.type,
          data: encodeEventData(event),
          metadata: encodeMetadata({ occurredAt: new Date(at.getTime() + i).toISOString(), commandId: randomUUID(), correlationId: 'test', causationId: 'test', schemaVersion: 1 }),
        }),
      ),
    );
  }

  /** Writes an event straight to a stream, bypassing the codec (a foreign or broken writer). */
  async appendRaw(accountId: string, type: string, data: Record<string, unknown>): Promise<void> {
    const metadata = encodeMetadata({ occurredAt: new Date().toISOString(), commandId: randomUUID(), correlationId: 'raw', causationId: 'raw', schemaVersion: 1 });
    await this.esdb.appendToStream(accountStream(accountId), [jsonEvent({ type, data, metadata })]);
  }

  /** What the read model must equal: the fold of each account's stream. */
  async foldOfEventStore(accountId: string, decode: AccountEventDecoder = toRecordedAccountEvent) {
    const stored = await new AccountGapReader(this.esdb).readAccount(accountId, 0n, undefined);
    return foldAccount(undefined, -1n, stored.map(decode));
  }

  async readModelOf(accountId: string) {
    const summary = await this.db.collection('account_summaries').findOne({ _id: accountId as never }, { useBigInt64: true });
    const transactions = await this.db.collection('account_transactions').find({ account_id: accountId }, { useBigInt64: true }).sort({ revision: 1 }).toArray();
    return { summary: summary ?? undefined, transactions };
  }

  /** Waits (bounded) until every account's documents equal the fold of its stream, field by field. */
  async expectReadModelEqualsEventStore(accountIds: readonly string[], timeoutMs = 30_000, decode: AccountEventDecoder = toRecordedAccountEvent): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const accountId of accountIds) {
      const expected = await this.foldOfEventStore(accountId, decode);
      for (;;) {
        const actual = await this.readModelOf(accountId);
        const equal = actual.summary?.['revision'] === expected.summary?.revision && actual.transactions.length === expected.transactions.length;
        if (equal || Date.now() > deadline) {
          expect(actual.summary, `summary of ${accountId}`).toEqual(expected.summary);
          expect(actual.transactions, `transactions of ${accountId}`).toEqual(expected.transactions);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

export const opened = (accountId: string, ownerId = 'owner-1'): AccountEvent => ({ type: 'AccountOpened', data: { accountId, ownerId, currency: 'EUR' } });
export const deposited = (amount: bigint): AccountEvent => ({ type: 'MoneyDeposited', data: { amount } });
export const withdrawn = (amount: bigint): AccountEvent => ({ type: 'MoneyWithdrawn', data: { amount } });
