import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AccountEvent } from '../../src/domain/index.js';
import type { RunningProjector } from '../../workers/projector.js';
import { ReadModelFixture, deposited, opened } from './read-model-fixture.js';

let fx: ReadModelFixture;
let projector: RunningProjector;
beforeAll(async () => {
  fx = await ReadModelFixture.start();
  projector = await fx.projector({ group: 'transfer-read-side' });
});
afterAll(async () => {
  await projector?.stop();
  await fx?.stop();
});

describe('transfer legs on the read side (issue 15)', () => {
  test('debit, credit and refund are transactions with the transfer id and the counterparty; money in flight out shows on the summary until settled or refunded; the documents equal the fold', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const [t1, t2] = [randomUUID(), randomUUID()];
    await fx.append(a, [opened(a), deposited(1_000n)]);
    await fx.append(b, [opened(b)]);
    const debit = (transferId: string, amount: bigint): AccountEvent => ({ type: 'TransferDebited', data: { transferId, toAccountId: b, amount, currency: 'EUR' } });
    await fx.append(a, [debit(t1, 300n), debit(t2, 200n)]);
    await fx.append(b, [{ type: 'TransferCredited', data: { transferId: t1, fromAccountId: a, amount: 300n } }]);
    await fx.expectReadModelEqualsEventStore([a, b]);
    expect((await fx.readModelOf(a)).summary).toMatchObject({ balance: 500n, in_flight_out: 500n });
    await fx.append(a, [{ type: 'TransferDebitSettled', data: { transferId: t1, amount: 300n } }]);
    await fx.append(a, [{ type: 'TransferDebitReversed', data: { transferId: t2, amount: 200n, reason: 'ACCOUNT_CLOSED: closed' } }]);
    await fx.expectReadModelEqualsEventStore([a, b]);
    const ofA = await fx.readModelOf(a);
    const ofB = await fx.readModelOf(b);
    expect(ofA.summary).toMatchObject({ balance: 700n, tx_count: 4n, in_flight_out: 0n });
    expect(ofB.summary).toMatchObject({ balance: 300n, tx_count: 1n });
    expect(ofB.summary?.['in_flight_out']).toBeUndefined();
    expect(ofA.transactions.map((t) => [t.type, t.amount, t.balance_after, t.transfer_id, t.counterparty ?? null, t.reason ?? null])).toEqual([
      ['deposit', 1_000n, 1_000n, undefined, null, null],
      ['transfer_out', 300n, 700n, t1, b, null],
      ['transfer_out', 200n, 500n, t2, b, null],
      ['transfer_refund', 200n, 700n, t2, null, 'ACCOUNT_CLOSED: closed'],
    ]);
    expect(ofB.transactions.map((t) => [t.type, t.transfer_id, t.counterparty])).toEqual([['transfer_in', t1, a]]);
  });

  test('a stream that starts with a refused credit, then is opened, projects like any account', async () => {
    const id = randomUUID();
    await fx.append(id, [{ type: 'TransferCreditRefused', data: { transferId: randomUUID(), fromAccountId: randomUUID(), amount: 5n, reason: 'ACCOUNT_NOT_FOUND: x' } }]);
    await fx.append(id, [opened(id), deposited(40n)]);
    await fx.expectReadModelEqualsEventStore([id]);
    expect((await fx.readModelOf(id)).summary).toMatchObject({ balance: 40n, tx_count: 1n, revision: 2n });
  });
});
