import { describe, expect, test } from 'vitest';
import type { AccountEvent } from '../../src/domain/events.js';
import { foldAccount } from '../../src/readmodels/account-fold.js';
import { deposited, foldSummary, opened, recorded, withdrawn } from './given-account-events.js';

const depositId = '00000000-0000-4000-8000-000000000001';
const withdrawalId = '00000000-0000-4000-8000-000000000002';
const depositReversed = (amount: bigint): AccountEvent => ({ type: 'DepositReversed', data: { transactionId: depositId, amount, reason: 'typo' } });
const withdrawalReversed = (amount: bigint): AccountEvent => ({ type: 'WithdrawalReversed', data: { transactionId: withdrawalId, amount } });

describe('read side with reversals (issue 15)', () => {
  test('given a deposit and a withdrawal, when both are reversed, the summary balance and tx_count count the reversals', () => {
    const events = recorded(opened(), deposited(1000n), withdrawn(300n), withdrawalReversed(300n), depositReversed(1000n));
    const summary = foldSummary(events);
    expect(summary).toMatchObject({ balance: 0n, tx_count: 4n, revision: 4n, last_tx_at: events[4]!.occurredAt });
  });

  test('each reversal is a transaction naming the one it reverses, with the balance after it', () => {
    const events = recorded(opened(), deposited(1000n), withdrawn(300n), withdrawalReversed(300n), depositReversed(1000n));
    const fold = foldAccount(undefined, -1n, events);
    expect(fold.transactions.map((t) => [t._id, t.type, t.amount, t.balance_after, t.reverses])).toEqual([
      [depositId, 'deposit', 1000n, 1000n, undefined],
      [withdrawalId, 'withdrawal', 300n, 700n, undefined],
      [events[3]!.eventId, 'withdrawal_reversal', 300n, 1000n, withdrawalId],
      [events[4]!.eventId, 'deposit_reversal', 1000n, 0n, depositId],
    ]);
    expect(fold.transactions[3]?.reason).toBe('typo');
    expect(fold.summary).toEqual(foldSummary(events));
  });

  test('the fold is pure: folding the same events twice gives equal documents', () => {
    const events = recorded(opened(), deposited(10n), depositReversed(10n));
    expect(foldAccount(undefined, -1n, events)).toEqual(foldAccount(undefined, -1n, events));
  });
});
