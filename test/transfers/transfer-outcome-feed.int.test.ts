import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CommandHandler, Transfers, transferIdFor, type StoredTransferEvent, type TransferEventStore } from '../../src/app/index.js';
import { loadConfig } from '../../src/config.js';
import type { AccountCommand, TransferEvent } from '../../src/domain/index.js';
import { EsdbAccountEventStore } from '../../src/eventstore/account-event-store.js';
import { connectEventStore, type EventStoreConnection } from '../../src/eventstore/connection.js';
import { EsdbTransferEventStore } from '../../src/eventstore/transfer-event-store.js';
import { TransferOutcomeFeed } from '../../src/eventstore/transfer-outcome-feed.js';
import { startTransferProcess, transferProcessSettings, type RunningTransferProcess } from '../../workers/transfer-process.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';

/** The transfer streams, counting reads: a waiting GetTransfer fed by the feed should not need them. */
class CountingTransferStore implements TransferEventStore {
  reads = 0;
  constructor(private readonly inner: TransferEventStore) {}
  read(transferId: string): Promise<StoredTransferEvent[]> {
    this.reads++;
    return this.inner.read(transferId);
  }
  append(transferId: string, events: readonly TransferEvent[], expectedRevision: bigint, occurredAt: string): Promise<void> {
    return this.inner.append(transferId, events, expectedRevision, occurredAt);
  }
}

let backends: TestBackends;
let esdb: EventStoreConnection;
let worker: RunningTransferProcess;
let handler: CommandHandler;
const feeds: TransferOutcomeFeed[] = [];

beforeAll(async () => {
  backends = await startTestBackends(['esdb']);
  esdb = connectEventStore(backends.urls.esdb!);
  handler = new CommandHandler({ store: new EsdbAccountEventStore(esdb.client), maxRetries: 50 });
  const config = loadConfig({});
  worker = await startTransferProcess(config, backends.urls.esdb!, pino({ level: 'silent' }), { ...transferProcessSettings(config), group: `transfers-${randomUUID()}` });
});
afterAll(async () => {
  for (const feed of feeds) await feed.close();
  await worker?.stop();
  await esdb?.close();
  await backends?.stop();
});

async function accounts(): Promise<[string, string]> {
  const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
  const [a, b] = [randomUUID(), randomUUID()];
  for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
  await run({ type: 'Deposit', data: { accountId: a, amount: 10_000n, currency: 'EUR' } });
  return [a, b];
}

function transfersWith(feed: TransferOutcomeFeed | undefined) {
  const store = new CountingTransferStore(new EsdbTransferEventStore(esdb.client));
  const transfers = new Transfers(handler, store, undefined, feed);
  const send = async (from: string, to: string, amount: bigint) => {
    const commandId = randomUUID();
    const transferId = transferIdFor(from, commandId);
    await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: from, transferId, toAccountId: to, amount, currency: 'EUR' } }, commandId });
    return transferId;
  };
  return { store, transfers, send };
}

test('a waiting GetTransfer is woken by the outcome feed and answered from what it saw: the transfer stream is not read', async () => {
  const feed = new TransferOutcomeFeed(esdb.client);
  feeds.push(feed);
  // The feed opens at the first watch; once live it sees every transfer stream from its start.
  feed.watch('warm-up').cancel();
  for (let i = 0; i < 200 && !feed.live(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(feed.live()).toBe(true);
  const { store, transfers, send } = transfersWith(feed);
  const [a, b] = await accounts();
  const ids = [await send(a, b, 100n), await send(a, b, 200n), await send(a, randomUUID(), 300n)];
  const answers = await Promise.all(ids.map((id) => transfers.getTransfer(id, Date.now() + 20_000)));
  expect(answers.map((t) => t.status)).toEqual(['completed', 'completed', 'failed']);
  expect(answers[2]?.failureReason).toMatch(/^ACCOUNT_NOT_FOUND/);
  expect(answers[0]).toMatchObject({ fromAccountId: a, toAccountId: b, amount: 100n, currency: 'EUR' });
  expect(answers[0]?.requestedAt).toBeInstanceOf(Date);
  expect(answers[0]?.finishedAt).toBeInstanceOf(Date);
  expect(store.reads).toBe(0);
  // The same answers as the stream itself gives.
  const plain = transfersWith(undefined).transfers;
  for (const [i, id] of ids.entries()) expect(await plain.getTransfer(id)).toEqual(answers[i]);
});

test('without a live feed (closed) a waiting GetTransfer still gets its outcome, by reading the stream', async () => {
  const feed = new TransferOutcomeFeed(esdb.client);
  await feed.close();
  const { store, transfers, send } = transfersWith(feed);
  const [a, b] = await accounts();
  const id = await send(a, b, 50n);
  expect((await transfers.getTransfer(id, Date.now() + 20_000)).status).toBe('completed');
  expect(store.reads).toBeGreaterThan(0);
});
