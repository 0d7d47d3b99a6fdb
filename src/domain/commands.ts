import type { Currency } from './events.js';

/**
 * Commands are imperative and carry everything decide needs; ids, clock and
 * idempotency keys stay outside (the app attaches them as event metadata).
 */
export type OpenAccount = {
  readonly type: 'OpenAccount';
  readonly data: { readonly accountId: string; readonly ownerId: string; readonly currency: Currency };
};
export type Deposit = {
  readonly type: 'Deposit';
  readonly data: { readonly accountId: string; readonly amount: bigint; readonly currency: Currency };
};
export type Withdraw = {
  readonly type: 'Withdraw';
  readonly data: { readonly accountId: string; readonly amount: bigint; readonly currency: Currency };
};
export type CloseAccount = {
  readonly type: 'CloseAccount';
  readonly data: { readonly accountId: string; readonly reason?: string };
};

export type AccountCommand = OpenAccount | Deposit | Withdraw | CloseAccount;
export type AccountCommandType = AccountCommand['type'];
