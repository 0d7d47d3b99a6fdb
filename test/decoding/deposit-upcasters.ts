import type { EventUpcaster } from '../../src/domain/index.js';

/**
 * The worked example of docs/read-model.md "Schema versions", as tests run it: a deposit
 * once stored its amount as a JSON number of cents (v1), then as
 * amount_minor (v2), and is now a decimal string under amount (v3). Ledger
 * itself writes version 1 of the current shape and ships no upcaster.
 */
export const depositUpcasters: readonly EventUpcaster[] = [
  { eventType: 'MoneyDeposited', fromVersion: 1, upcast: (d) => ({ amount_minor: centsOf(d) }) },
  { eventType: 'MoneyDeposited', fromVersion: 2, upcast: (d) => ({ amount: String(amountMinorOf(d)) }) },
];

function centsOf(d: unknown): unknown {
  return typeof d === 'object' && d !== null && 'cents' in d ? d.cents : undefined;
}

function amountMinorOf(d: unknown): unknown {
  return typeof d === 'object' && d !== null && 'amount_minor' in d ? d.amount_minor : undefined;
}
