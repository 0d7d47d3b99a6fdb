import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandHandler, TransferProcess, Transfers, transferIdFor, type DebitedTransfer } from '../../src/app/index.js';
import { auditMoney, type AccountCommand, type AuditedEvent } from '../../src/domain/index.js';
import { InMemoryEventStore } from '../commands/in-memory-event-store.js';
import { InMemoryTransferStore } from './in-memory-transfer-store.js';
import { creditCommandId } from '../../src/app/transfer-ids.js';
import { decidedCreditOf } from '../../src/app/transfer-deliveries.js';
import type { DecidedCredit } from '../../src/app/transfer-process.js';

function setup() {
  const store = new InMemoryEventStore();
  const transferStore = new InMemoryTransferStore();
  const handler = new CommandHandler({ store, maxRetries: 50, random: () => 0 });
  const transfers = new Transfers(handler, transferStore);
  const newProcess = () => new TransferProcess(new CommandHandler({ store, maxRetries: 50, random: () => 0 }), store, transferStore);
  const run = (c: AccountCommand) => handler.handle({ command: c, commandId: randomUUID() });
  const open = async (balance: bigint, currency = 'EUR') => {
    const accountId = randomUUID();
    await run({ type: 'OpenAccount', data: { accountId, ownerId: 'o', currency } });
    if (balance > 0n) await run({ type: 'Deposit', data: { accountId, amount: balance, currency } });
    return accountId;
  };
  /** Requests a transfer as the API does and hands back the debit the subscription would deliver. */
  const request = async (from: string, to: string, amount: bigint, commandId = randomUUID()): Promise<DebitedTransfer> => {
    const transferId = transferIdFor(from, commandId);
    await transfers.transferMoney({ command: { type: 'TransferMoney', data: { accountId: from, transferId, toAccountId: to, amount, currency: 'EUR' } }, commandId });
    const debit = [...(store.streams.get(`account-${from}`) ?? [])].reverse().find((e) => e.event?.type === 'TransferDebited' && e.event.data.transferId === transferId);
    if (debit?.event?.type !== 'TransferDebited') throw new Error('no debit');
    return { ...debit.event.data, fromAccountId: from, debitEventId: debit.eventId };
  };
  const balance = async (accountId: string) => {
    const events = store.streams.get(`account-${accountId}`) ?? [];
    return auditMoney(events.map((e) => ({ accountId, event: e.event }))).balances;
  };
  const audit = () => auditMoney([...store.streams].flatMap(([stream, events]): AuditedEvent[] => events.map((e) => ({ accountId: stream.slice('account-'.length), event: e.event }))));
  /** The destination's decision on a transfer, as the subscription delivers it after creditDestination. */
  const decided = (accountId: string, transferId: string): DecidedCredit => {
    for (const e of store.streams.get(`account-${accountId}`) ?? []) {
      const found = decidedCreditOf(accountId, e.eventId, e.event);
      if (found?.transferId === transferId) return found;
    }
    throw new Error(`no decision of ${accountId} on ${transferId}`);
  };
  const typesIn = (accountId: string) => store.streams.get(`account-${accountId}`)?.map((e) => e.event?.type) ?? [];
  return { store, transferStore, transfers, handler, newProcess, open, request, balance, audit, run, decided, typesIn };
}

describe('the transfer process', () => {
  test('given a debit, the destination is credited and the transfer completed', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    expect((await t.transfers.getTransfer(debit.transferId)).status).toBe('pending');
    expect(t.audit()).toMatchObject({ inFlight: 200n, transfersInFlight: 1, violations: [] });
    expect((await t.newProcess().onDebited(debit)).status).toBe('completed');
    expect([await t.balance(a), await t.balance(b)]).toEqual([300n, 200n]);
    expect(await t.transfers.getTransfer(debit.transferId)).toMatchObject({ status: 'completed', fromAccountId: a, toAccountId: b, amount: 200n });
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test.each([
    ['a missing account', async () => randomUUID(), 'ACCOUNT_NOT_FOUND'],
    ['a closed account', async (t: ReturnType<typeof setup>) => {
      const id = await t.open(0n);
      await t.run({ type: 'CloseAccount', data: { accountId: id } });
      return id;
    }, 'ACCOUNT_CLOSED'],
    ['an account in another currency', async (t: ReturnType<typeof setup>) => t.open(0n, 'CHF'), 'CURRENCY_MISMATCH'],
  ])('a transfer to %s is refunded and failed with the reason; money conserved', async (_name, destination, reason) => {
    const t = setup();
    const a = await t.open(500n);
    const debit = await t.request(a, await destination(t), 200n);
    expect((await t.newProcess().onDebited(debit)).status).toBe('failed');
    expect(await t.balance(a)).toBe(500n);
    const transfer = await t.transfers.getTransfer(debit.transferId);
    expect(transfer.status).toBe('failed');
    expect(transfer.failureReason).toMatch(new RegExp(`^${reason}`));
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('redelivery and two instances on the same debit credit once', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    await Promise.all([t.newProcess().onDebited(debit), t.newProcess().onDebited(debit)]);
    await t.newProcess().onDebited(debit);
    expect(await t.balance(b)).toBe(200n);
    expect(t.transferStore.streams.get(debit.transferId)?.map((e) => e.event?.type)).toEqual(['TransferInitiated', 'TransferCompleted']);
    const source = t.store.streams.get(`account-${a}`)?.map((e) => e.event?.type) ?? [];
    expect(source.filter((type) => type === 'TransferDebitSettled')).toHaveLength(1);
    expect(t.audit().violations).toEqual([]);
  });

  test('redelivery and two instances on a refused debit refund once', async () => {
    const t = setup();
    const a = await t.open(500n);
    const debit = await t.request(a, randomUUID(), 200n);
    await Promise.all([t.newProcess().onDebited(debit), t.newProcess().onDebited(debit), t.newProcess().onDebited(debit)]);
    expect(await t.balance(a)).toBe(500n);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('a crash after the credit, before the outcome: the next delivery completes it without crediting again', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    // The credit as the first attempt made it (same derived command id), then nothing more: the process died.
    const { transferId, amount, currency } = debit;
    await t.handler.handle({ command: { type: 'CreditTransfer', data: { accountId: b, transferId, fromAccountId: a, amount, currency } }, commandId: creditCommandId(transferId) });
    expect((await t.transfers.getTransfer(transferId)).status).toBe('pending');
    expect((await t.newProcess().onDebited(debit)).status).toBe('completed');
    expect(await t.balance(b)).toBe(200n);
  });

  test('a destination opened after its refusal: a later attempt (another instance) answers the refusal, never credits', async () => {
    const t = setup();
    const a = await t.open(500n);
    const late = randomUUID();
    const debit = await t.request(a, late, 200n);
    expect((await t.newProcess().onDebited(debit)).status).toBe('failed');
    await t.run({ type: 'OpenAccount', data: { accountId: late, ownerId: 'o', currency: 'EUR' } });
    // The outcome in the transfer stream is lost (say, a restore), so the process decides again from the destination.
    t.transferStore.streams.get(debit.transferId)?.splice(1);
    expect((await t.newProcess().onDebited(debit)).status).toBe('failed');
    expect([await t.balance(a), await t.balance(late)]).toEqual([500n, 0n]);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('event by event (the subscription\'s path): a debit makes the destination decide; its credit completes the transfer and settles the source, each step repeatable', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    await t.newProcess().creditDestination(debit);
    // Decided, not yet recorded in the transfer stream: the credit event's delivery does that.
    expect((await t.transfers.getTransfer(debit.transferId)).status).toBe('pending');
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
    const credit = t.decided(b, debit.transferId);
    expect(credit).toMatchObject({ fromAccountId: a, toAccountId: b, amount: 200n });
    expect(credit.refusedBecause).toBeUndefined();
    await t.newProcess().onCreditDecided(credit);
    expect(await t.transfers.getTransfer(debit.transferId)).toMatchObject({ status: 'completed', fromAccountId: a, toAccountId: b });
    // Redelivered, by two instances at once: nothing more.
    await Promise.all([t.newProcess().creditDestination(debit), t.newProcess().creditDestination(debit)]);
    await Promise.all([t.newProcess().onCreditDecided(credit), t.newProcess().onCreditDecided(credit)]);
    expect([await t.balance(a), await t.balance(b)]).toEqual([300n, 200n]);
    expect(t.typesIn(a).filter((type) => type === 'TransferDebitSettled')).toHaveLength(1);
    expect(t.typesIn(b).filter((type) => type === 'TransferCredited')).toHaveLength(1);
    expect(t.transferStore.streams.get(debit.transferId)?.map((e) => e.event?.type)).toEqual(['TransferInitiated', 'TransferCompleted']);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('event by event: a refusal fails the transfer with the reason and refunds the source once', async () => {
    const t = setup();
    const a = await t.open(500n);
    const missing = randomUUID();
    const debit = await t.request(a, missing, 200n);
    await t.newProcess().creditDestination(debit);
    const refusal = t.decided(missing, debit.transferId);
    expect(refusal.refusedBecause).toMatch(/^ACCOUNT_NOT_FOUND/);
    await t.newProcess().onCreditDecided(refusal);
    await t.newProcess().onCreditDecided(refusal);
    const transfer = await t.transfers.getTransfer(debit.transferId);
    expect(transfer).toMatchObject({ status: 'failed', failureReason: refusal.refusedBecause });
    expect(await t.balance(a)).toBe(500n);
    expect(t.typesIn(a).filter((type) => type === 'TransferDebitReversed')).toHaveLength(1);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('event by event, the API stopped after the debit: no transfer stream yet, so the credit\'s delivery starts it from the source\'s debit', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    t.transferStore.streams.delete(debit.transferId); // as if the API never appended the initiation
    await t.newProcess().creditDestination(debit);
    await t.newProcess().onCreditDecided(t.decided(b, debit.transferId));
    expect(t.transferStore.streams.get(debit.transferId)?.map((e) => e.event?.type)).toEqual(['TransferInitiated', 'TransferCompleted']);
    expect(await t.transfers.getTransfer(debit.transferId)).toMatchObject({ status: 'completed', fromAccountId: a, toAccountId: b, amount: 200n, currency: 'EUR' });
    expect([await t.balance(a), await t.balance(b)]).toEqual([300n, 200n]);
    expect(t.typesIn(a).filter((type) => type === 'TransferDebitSettled')).toHaveLength(1);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('event by event, the decision delivered before the API started the transfer stream: the instance that made the destination decide starts it without reading the source', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const debit = await t.request(a, b, 200n);
    t.transferStore.streams.delete(debit.transferId); // the API's initiation still in flight
    const process = t.newProcess();
    await process.creditDestination(debit);
    const reads = t.store.reads;
    await process.onCreditDecided(t.decided(b, debit.transferId));
    expect(t.store.reads - reads).toBe(1); // the source's load for its settlement, not a search for the debit
    expect(t.transferStore.streams.get(debit.transferId)?.map((e) => e.event?.type)).toEqual(['TransferInitiated', 'TransferCompleted']);
    expect(await t.transfers.getTransfer(debit.transferId)).toMatchObject({ status: 'completed', fromAccountId: a, toAccountId: b, amount: 200n, currency: 'EUR' });
    expect(t.typesIn(a).filter((type) => type === 'TransferDebitSettled')).toHaveLength(1);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('event by event, the API\'s initiation landing between the process\'s look and its start: the outcome goes after it, once', async () => {
    const t = setup();
    const missing = randomUUID();
    const a = await t.open(500n);
    const debit = await t.request(a, missing, 200n);
    const initiation = t.transferStore.streams.get(debit.transferId)!.map((e) => e.event);
    t.transferStore.streams.delete(debit.transferId);
    const process = t.newProcess();
    await process.creditDestination(debit);
    // The API appends its initiation right after the process found no stream.
    const append = t.transferStore.append.bind(t.transferStore);
    t.transferStore.append = async (id, events, expected, at) => {
      if (expected === -1n && events.length === 2) await append(id, initiation.flatMap((e) => (e ? [e] : [])), -1n, at);
      return append(id, events, expected, at);
    };
    await process.onCreditDecided(t.decided(missing, debit.transferId));
    expect(t.transferStore.streams.get(debit.transferId)?.map((e) => e.event?.type)).toEqual(['TransferInitiated', 'TransferFailed']);
    expect(await t.balance(a)).toBe(500n);
    expect(t.typesIn(a).filter((type) => type === 'TransferDebitReversed')).toHaveLength(1);
    expect(t.audit()).toMatchObject({ inFlight: 0n, violations: [] });
  });

  test('the same TransferMoney sent twice is one transfer, debited once', async () => {
    const t = setup();
    const [a, b] = [await t.open(500n), await t.open(0n)];
    const commandId = randomUUID();
    const first = await t.request(a, b, 200n, commandId);
    const second = await t.request(a, b, 200n, commandId);
    expect(second.transferId).toBe(first.transferId);
    expect(await t.balance(a)).toBe(300n);
  });

  test('the audit flags a transfer credited twice', () => {
    const T = randomUUID();
    const a = randomUUID();
    const b = randomUUID();
    const audit = auditMoney([
      { accountId: a, event: { type: 'MoneyDeposited', data: { amount: 10n } } },
      { accountId: a, event: { type: 'TransferDebited', data: { transferId: T, toAccountId: b, amount: 10n, currency: 'EUR' } } },
      { accountId: b, event: { type: 'TransferCredited', data: { transferId: T, fromAccountId: a, amount: 10n } } },
      { accountId: b, event: { type: 'TransferCredited', data: { transferId: T, fromAccountId: a, amount: 10n } } },
    ]);
    expect(audit.violations).toEqual([`transfer ${T} credited 2 times`, '?: balances 20 + in flight 0 != deposits - withdrawals 10']);
  });

  test('the audit checks each currency: a surplus in one does not hide a shortfall in another', () => {
    const [eur, chf] = [randomUUID(), randomUUID()];
    const audit = auditMoney([
      { accountId: eur, event: { type: 'AccountOpened', data: { accountId: eur, ownerId: 'o', currency: 'EUR' } } },
      { accountId: chf, event: { type: 'AccountOpened', data: { accountId: chf, ownerId: 'o', currency: 'CHF' } } },
      { accountId: eur, event: { type: 'MoneyDeposited', data: { amount: 10n } } },
      { accountId: chf, event: { type: 'MoneyDeposited', data: { amount: 10n } } },
      // A transfer from EUR credited to CHF: the totals still add up, each currency does not.
      { accountId: eur, event: { type: 'TransferDebited', data: { transferId: 't', toAccountId: chf, amount: 5n, currency: 'EUR' } } },
      { accountId: chf, event: { type: 'TransferCredited', data: { transferId: 't', fromAccountId: eur, amount: 5n } } },
    ]);
    expect(audit).toMatchObject({ balances: 20n, inFlight: 0n, netDeposits: 20n });
    expect(audit.violations).toEqual(['EUR: balances 5 + in flight 0 != deposits - withdrawals 10', 'CHF: balances 15 + in flight 0 != deposits - withdrawals 10']);
  });
});
