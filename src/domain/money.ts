/**
 * Money is a bigint count of minor units with an ISO 4217 currency; never a
 * float. Balances and amounts travel as int64, so they stay within it.
 */
export const MAX_MINOR_UNITS = 2n ** 63n - 1n;

/**
 * ISO 4217 codes of the currencies in use, from the runtime's ICU/CLDR data
 * (`Intl.supportedValuesOf('currency')`), so the list follows Node's updates
 * instead of a hand-typed copy (issue 12: `XYZ` and `ABC` passed a pattern
 * check). CLDR leaves out codes that are not account money (gold XAU, test
 * XTS, "no currency" XXX, fund codes such as CLF) and keeps a withdrawn code
 * for a while after its replacement (HRK after EUR). Stored events are not
 * checked against it: past events are facts (src/domain/event-codec.ts).
 */
const CURRENCIES_IN_USE: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
export const isCurrency = (code: string): boolean => CURRENCIES_IN_USE.has(code);

export const CURRENCY_RULE = 'must be an ISO 4217 code of a currency in use (such as EUR)';
