import { describe, expect, test } from 'vitest';
import { ACCOUNT, closed, deposited, foldSummary, opened, recorded, withdrawn } from './given-account-events.js';

describe('AccountSummaryProjection', () => {
  test('given an opening, the summary is open, empty, at revision 0', () => {
    const events = recorded(opened('EUR', 'alice'));
    expect(foldSummary(events)).toEqual({
      _id: ACCOUNT,
      owner_id: 'alice',
      balance: 0n,
      currency: 'EUR',
      status: 'open',
      tx_count: 0n,
      opened_at: events[0]!.occurredAt,
      last_tx_at: null,
      closed_at: null,
      updated_at: events[0]!.occurredAt,
      revision: 0n,
    });
  });

  test('given deposits and a withdrawal, balance and count follow the money in minor units', () => {
    const events = recorded(opened(), deposited(1500n), deposited(250n), withdrawn(200n));
    const summary = foldSummary(events);
    expect(summary?.balance).toBe(1550n);
    expect(summary?.tx_count).toBe(3n);
    expect(summary?.last_tx_at).toEqual(events[3]!.occurredAt);
    expect(summary?.revision).toBe(3n);
  });

  test('balances beyond 2^53 stay exact', () => {
    const big = 9_007_199_254_740_993n;
    const summary = foldSummary(recorded(opened(), deposited(big), deposited(big)));
    expect(summary?.balance).toBe(2n * big);
  });

  test('given a closing, status is closed with its time, balance kept', () => {
    const events = recorded(opened(), deposited(10n), withdrawn(10n), closed('moving'));
    const summary = foldSummary(events);
    expect(summary?.status).toBe('closed');
    expect(summary?.closed_at).toEqual(events[3]!.occurredAt);
    expect(summary?.updated_at).toEqual(events[3]!.occurredAt);
    expect(summary?.balance).toBe(0n);
  });

  test('an unknown event type takes its revision and changes nothing else', () => {
    const withUnknown = foldSummary(recorded(opened(), deposited(5n), undefined));
    const without = foldSummary(recorded(opened(), deposited(5n)));
    expect(withUnknown).toEqual({ ...without, revision: 2n });
  });

  test('money before any opening creates no document', () => {
    expect(foldSummary(recorded(deposited(5n)))).toBeUndefined();
  });
});
