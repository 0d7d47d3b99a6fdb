import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, TransferProcess, TransferWatchdog, Transfers, transferIdFor, type AccountLog, type LoggedEvent } from '../../src/app/index.js';
import { encodeEventData, encodeMetadata, plainEventDecoder, type AccountCommand } from '../../src/domain/index.js';
import { InMemoryEventStore } from '../commands/in-memory-event-store.js';
import { InMemoryTransferStore } from './in-memory-transfer-store.js';

/** The account streams of an in-memory store as one log, in append order (positions are array indexes). */
function logOf(store: InMemoryEventStore): AccountLog<number> {
  return {
    page: async (after, max) => {
      const all: LoggedEvent[] = [...store.streams]
        .flatMap(([streamId, events]) => events.map((e) => ({ streamId, e })))
        .sort((x, y) => (x.e.position < y.e.position ? -1 : 1))
        .map(({ streamId, e }) => ({
          eventId: e.eventId, streamId, revision: e.revision, created: e.created,
          type: e.event?.type ?? 'unknown', data: e.event ? encodeEventData(e.event) : {}, metadata: e.metadata ? encodeMetadata(e.metadata) : {},
        }));
      const from = after === undefined ? 0 : after + 1;
      const events = all.slice(from, from + max);
      return { events, last: events.length === 0 ? after : from + events.length - 1, atHead: from + events.length >= all.length };
    },
  };
}

describe('the transfer watchdog', () => {
  test('given debits no delivery reached, a sweep drives each one to its outcome and settles or refunds the source; fresh ones wait', async () => {
    const store = new InMemoryEventStore();
    const transferStore = new InMemoryTransferStore();
    const handler = new CommandHandler({ store, maxRetries: 50, random: () => 0 });
    const run = (command: AccountCommand) => handler.handle({ command, commandId: randomUUID() });
    const [a, b] = [randomUUID(), randomUUID()];
    for (const id of [a, b]) await run({ type: 'OpenAccount', data: { accountId: id, ownerId: 'o', currency: 'EUR' } });
    await run({ type: 'Deposit', data: { accountId: a, amount: 500n, currency: 'EUR' } });
    const transfers = new Transfers(handler, transferStore);
    const request = async (to: string, amount: bigint) => {
      const commandId = randomUUID();
      const transferId = transferIdFor(a, commandId);
      await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: a, transferId, toAccountId: to, amount, currency: 'EUR' } }, commandId });
      return transferId;
    };
    const toB = await request(b, 100n);
    const toNobody = await request(randomUUID(), 50n);
    let now = Date.now();
    const watchdog = new TransferWatchdog(logOf(store), plainEventDecoder, new TransferProcess(handler, store, transferStore), 60_000, () => now);

    // Not stuck yet: nothing is driven.
    expect(await watchdog.sweep()).toMatchObject({ inFlight: 2, driven: 0 });
    expect((await transfers.getTransfer(toB)).status).toBe('pending');

    now += 61_000;
    expect(await watchdog.sweep()).toMatchObject({ inFlight: 0, driven: 2, failures: [] });
    expect((await transfers.getTransfer(toB)).status).toBe('completed');
    expect((await transfers.getTransfer(toNobody)).status).toBe('failed');
    const source = store.streams.get(`account-${a}`)?.map((e) => e.event?.type);
    expect(source?.filter((t) => t === 'TransferDebitSettled' || t === 'TransferDebitReversed')).toEqual(['TransferDebitSettled', 'TransferDebitReversed']);
    // Caught up: the settlement and the refund it wrote close both; a later sweep has nothing to do.
    expect(await watchdog.sweep()).toMatchObject({ inFlight: 0, driven: 0 });
  });
});
