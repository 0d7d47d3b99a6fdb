import type { AccountEvent } from './events.js';

/** One account event in log order, as the audit folds it. */
export type AuditedEvent = { readonly accountId: string; readonly event: AccountEvent | undefined };

/** What the audit found: the totals of the identity and every broken rule. */
export type MoneyAudit = {
  /** Sum of all account balances. */
  readonly balances: bigint;
  /** Debited by transfers not yet credited or refunded. */
  readonly inFlight: bigint;
  /** Deposits − deposit reversals − withdrawals + withdrawal reversals. */
  readonly netDeposits: bigint;
  readonly transfersInFlight: number;
  /** Empty when the money is conserved. */
  readonly violations: readonly string[];
};

type TransferLegs = { debited: bigint; credited: number; refunded: number };

/**
 * The money-conservation invariant (issue 15), folded over the account
 * events in log order: balances + money in flight = deposits − withdrawals
 * (reversals included). Also flags what would break it later or hides a
 * fault: a transfer credited or refunded twice, both credited and refunded,
 * a leg without its debit, a negative balance. Pure: give it the events of
 * $all (account streams), or any prefix of them.
 */
export function auditMoney(events: Iterable<AuditedEvent>): MoneyAudit {
  const balance = new Map<string, bigint>();
  const transfers = new Map<string, TransferLegs>();
  const violations: string[] = [];
  let netDeposits = 0n;
  const move = (accountId: string, delta: bigint) => balance.set(accountId, (balance.get(accountId) ?? 0n) + delta);
  const legs = (transferId: string, leg: 'credited' | 'refunded'): TransferLegs | undefined => {
    const t = transfers.get(transferId);
    if (t === undefined) violations.push(`transfer ${transferId} ${leg} without a debit before it`);
    else t[leg] += 1;
    return t;
  };
  for (const { accountId, event } of events) {
    if (event === undefined) continue;
    switch (event.type) {
      case 'AccountOpened':
      case 'AccountClosed':
      case 'TransferCreditRefused':
      case 'TransferDebitSettled':
        break;
      case 'MoneyDeposited':
      case 'WithdrawalReversed':
        netDeposits += event.data.amount;
        move(accountId, event.data.amount);
        break;
      case 'MoneyWithdrawn':
      case 'DepositReversed':
        netDeposits -= event.data.amount;
        move(accountId, -event.data.amount);
        break;
      case 'TransferDebited':
        if (transfers.has(event.data.transferId)) violations.push(`transfer ${event.data.transferId} debited twice`);
        transfers.set(event.data.transferId, { debited: event.data.amount, credited: 0, refunded: 0 });
        move(accountId, -event.data.amount);
        break;
      case 'TransferCredited':
        legs(event.data.transferId, 'credited');
        move(accountId, event.data.amount);
        break;
      case 'TransferDebitReversed':
        legs(event.data.transferId, 'refunded');
        move(accountId, event.data.amount);
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }
  let inFlight = 0n;
  let transfersInFlight = 0;
  for (const [id, t] of transfers) {
    const settled = t.credited + t.refunded;
    if (t.credited > 1) violations.push(`transfer ${id} credited ${t.credited} times`);
    if (t.refunded > 1) violations.push(`transfer ${id} refunded ${t.refunded} times`);
    if (t.credited > 0 && t.refunded > 0) violations.push(`transfer ${id} both credited and refunded`);
    if (settled === 0) {
      inFlight += t.debited;
      transfersInFlight += 1;
    }
  }
  let balances = 0n;
  for (const [id, b] of balance) {
    balances += b;
    if (b < 0n) violations.push(`account ${id} balance ${b} is negative`);
  }
  if (balances + inFlight !== netDeposits)
    violations.push(`balances ${balances} + in flight ${inFlight} != deposits - withdrawals ${netDeposits}`);
  return { balances, inFlight, netDeposits, transfersInFlight, violations };
}
