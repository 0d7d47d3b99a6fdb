import { describe, expect, test } from 'vitest';
import { foldAccount, placeEvent } from '../../src/readmodels/account-fold.js';
import { ACCOUNT, deposited, foldSummary, opened, recorded, withdrawn } from './given-account-events.js';
import { toRecordedAccountEvent } from '../../src/readmodels/recorded-account-event.js';

describe('AccountTransactionsProjection through foldAccount', () => {
  test('given money events, one transaction each with the balance right after it', () => {
    const events = recorded(opened(), deposited(1000n), withdrawn(300n), deposited(50n));
    const fold = foldAccount(undefined, -1n, events);
    expect(fold.transactions.map((t) => [t.type, t.amount, t.balance_after, t.revision])).toEqual([
      ['deposit', 1000n, 1000n, 1n],
      ['withdrawal', 300n, 700n, 2n],
      ['deposit', 50n, 750n, 3n],
    ]);
    expect(fold.transactions[1]).toMatchObject({ _id: events[2]!.eventId, account_id: ACCOUNT, occurred_at: events[2]!.occurredAt });
    expect(fold.summary).toEqual(foldSummary(events));
  });

  test('given events whose metadata names an actor, each transaction says who asked for it (issue 13)', () => {
    const stored = (revision: bigint, type: string, data: unknown, actor?: string) => ({
      eventId: `00000000-0000-4000-8000-00000000000${revision}`, streamId: `account-${ACCOUNT}`, revision, commitPosition: revision, type, data,
      metadata: { occurred_at: '2026-11-29T10:00:00.000Z', command_id: 'c', correlation_id: 'c', causation_id: 'c', schema_version: 1, ...(actor === undefined ? {} : { actor, auth_method: 'jwt' }) },
      created: new Date(0),
    });
    const events = [
      stored(0n, 'AccountOpened', { account_id: ACCOUNT, owner_id: 'ann', currency: 'EUR' }, 'ann'),
      stored(1n, 'MoneyDeposited', { amount: '1000' }, 'ann'),
      stored(2n, 'MoneyWithdrawn', { amount: '300' }),
    ].map(toRecordedAccountEvent);
    const fold = foldAccount(undefined, -1n, events);
    expect(fold.transactions.map((t) => [t.type, t.actor])).toEqual([['deposit', 'ann'], ['withdrawal', undefined]]);
    expect(fold.transactions[1]).not.toHaveProperty('actor');
  });

  test('when folded on a stored summary, events it already covers are skipped', () => {
    const events = recorded(opened(), deposited(1000n), withdrawn(300n));
    const stored = foldSummary(events.slice(0, 2));
    const fold = foldAccount(stored, 1n, events);
    expect(fold.transactions).toHaveLength(1);
    expect(fold.summary?.balance).toBe(700n);
  });

  test('a hole in the revisions is refused, never folded over', () => {
    const events = recorded(opened(), deposited(1n), deposited(2n));
    expect(() => foldAccount(undefined, -1n, [events[0]!, events[2]!])).toThrow(/gap/);
  });

  test('placeEvent: duplicate, next or gap against the stored revision', () => {
    expect(placeEvent(3n, 2n)).toBe('duplicate');
    expect(placeEvent(3n, 3n)).toBe('duplicate');
    expect(placeEvent(3n, 4n)).toBe('next');
    expect(placeEvent(3n, 6n)).toBe('gap');
    expect(placeEvent(-1n, 0n)).toBe('next');
  });
});
