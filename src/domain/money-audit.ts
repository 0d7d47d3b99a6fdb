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
  /** The same three per currency (the identity is checked per currency; the totals above sum them as counts). */
  readonly byCurrency: ReadonlyMap<string, { readonly balances: bigint; readonly inFlight: bigint; readonly netDeposits: bigint }>;
  /** Empty when the money is conserved. */
  readonly violations: readonly string[];
};

type TransferLegs = { debited: bigint; currency: string; credited: number; refunded: number };

/** An account whose opening the audit has not seen (a foreign writer, a partial log). */
const UNKNOWN_CURRENCY = '?';

/**
 * The money-conservation invariant (issue 15), folded over the account
 * events in log order: per currency, balances + money in flight = deposits −
 * withdrawals (reversals included). Also flags what would break it later or hides a
 * fault: a transfer credited or refunded twice, both credited and refunded,
 * a leg without its debit, a negative balance. Pure: give it the events of
 * $all (account streams), or any prefix of them.
 */
export function auditMoney(events: Iterable<AuditedEvent>): MoneyAudit {
  const auditor = moneyAuditor();
  for (const e of events) auditor.observe(e);
  return auditor.result();
}

/**
 * The same fold, one event at a time, for a log too large to hold: keeps a
 * balance per account and the legs of each transfer, not the events.
 */
export function moneyAuditor(): { observe(event: AuditedEvent): void; result(): MoneyAudit } {
  const balance = new Map<string, bigint>();
  const currencyOf = new Map<string, string>();
  const netDepositsIn = new Map<string, bigint>();
  const transfers = new Map<string, TransferLegs>();
  // Found while folding; result() adds what only the end can tell.
  const violations: string[] = [];
  const add = (m: Map<string, bigint>, key: string, delta: bigint) => m.set(key, (m.get(key) ?? 0n) + delta);
  const move = (accountId: string, delta: bigint) => add(balance, accountId, delta);
  const deposit = (accountId: string, delta: bigint) => add(netDepositsIn, currencyOf.get(accountId) ?? UNKNOWN_CURRENCY, delta);
  const legs = (transferId: string, leg: 'credited' | 'refunded'): TransferLegs | undefined => {
    const t = transfers.get(transferId);
    if (t === undefined) violations.push(`transfer ${transferId} ${leg} without a debit before it`);
    else t[leg] += 1;
    return t;
  };
  const observe = ({ accountId, event }: AuditedEvent): void => {
    if (event === undefined) return;
    switch (event.type) {
      case 'AccountOpened':
        currencyOf.set(accountId, event.data.currency);
        break;
      case 'AccountClosed':
      case 'TransferCreditRefused':
      case 'TransferDebitSettled':
        break;
      case 'MoneyDeposited':
      case 'WithdrawalReversed':
        deposit(accountId, event.data.amount);
        move(accountId, event.data.amount);
        break;
      case 'MoneyWithdrawn':
      case 'DepositReversed':
        deposit(accountId, -event.data.amount);
        move(accountId, -event.data.amount);
        break;
      case 'TransferDebited':
        if (transfers.has(event.data.transferId)) violations.push(`transfer ${event.data.transferId} debited twice`);
        transfers.set(event.data.transferId, { debited: event.data.amount, currency: currencyOf.get(accountId) ?? UNKNOWN_CURRENCY, credited: 0, refunded: 0 });
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
  };
  return { observe, result: () => summarise(balance, currencyOf, netDepositsIn, transfers, [...violations]) };
}

function summarise(
  balance: ReadonlyMap<string, bigint>,
  currencyOf: ReadonlyMap<string, string>,
  netDepositsIn: ReadonlyMap<string, bigint>,
  transfers: ReadonlyMap<string, TransferLegs>,
  violations: string[],
): MoneyAudit {
  const add = (m: Map<string, bigint>, key: string, delta: bigint) => m.set(key, (m.get(key) ?? 0n) + delta);
  const inFlightIn = new Map<string, bigint>();
  let transfersInFlight = 0;
  for (const [id, t] of transfers) {
    const settled = t.credited + t.refunded;
    if (t.credited > 1) violations.push(`transfer ${id} credited ${t.credited} times`);
    if (t.refunded > 1) violations.push(`transfer ${id} refunded ${t.refunded} times`);
    if (t.credited > 0 && t.refunded > 0) violations.push(`transfer ${id} both credited and refunded`);
    if (settled === 0) {
      add(inFlightIn, t.currency, t.debited);
      transfersInFlight += 1;
    }
  }
  const balancesIn = new Map<string, bigint>();
  for (const [id, b] of balance) {
    add(balancesIn, currencyOf.get(id) ?? UNKNOWN_CURRENCY, b);
    if (b < 0n) violations.push(`account ${id} balance ${b} is negative`);
  }
  const byCurrency = new Map<string, { balances: bigint; inFlight: bigint; netDeposits: bigint }>();
  for (const currency of new Set([...balancesIn.keys(), ...inFlightIn.keys(), ...netDepositsIn.keys()])) {
    const c = { balances: balancesIn.get(currency) ?? 0n, inFlight: inFlightIn.get(currency) ?? 0n, netDeposits: netDepositsIn.get(currency) ?? 0n };
    byCurrency.set(currency, c);
    // Per currency: a surplus in one cannot hide a shortfall in another.
    if (c.balances + c.inFlight !== c.netDeposits)
      violations.push(`${currency}: balances ${c.balances} + in flight ${c.inFlight} != deposits - withdrawals ${c.netDeposits}`);
  }
  const sum = (key: 'balances' | 'inFlight' | 'netDeposits') => [...byCurrency.values()].reduce((total, c) => total + c[key], 0n);
  return { balances: sum('balances'), inFlight: sum('inFlight'), netDeposits: sum('netDeposits'), transfersInFlight, byCurrency, violations };
}
