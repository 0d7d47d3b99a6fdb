/**
 * Money is a bigint count of minor units with an ISO 4217 currency; never a
 * float. Balances and amounts travel as int64, so they stay within it.
 */
export const MAX_MINOR_UNITS = 2n ** 63n - 1n;

const currencyPattern = /^[A-Z]{3}$/;
export const isCurrency = (code: string): boolean => currencyPattern.test(code);
