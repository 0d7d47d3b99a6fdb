import type { Currency } from './events.js';

/**
 * A transfer's own stream, `transfer-<transfer id>` (issue 15): the state
 * changes of one transfer, written by the API (initiated) and the transfer
 * process (completed or failed). At most one outcome: it is appended at the
 * revision right after the initiation, so a second writer conflicts.
 */
export type TransferInitiated = {
  readonly type: 'TransferInitiated';
  readonly data: {
    readonly transferId: string;
    readonly fromAccountId: string;
    readonly toAccountId: string;
    readonly amount: bigint;
    readonly currency: Currency;
  };
};
export type TransferCompleted = {
  readonly type: 'TransferCompleted';
  readonly data: { readonly transferId: string };
};
export type TransferFailed = {
  readonly type: 'TransferFailed';
  readonly data: { readonly transferId: string; readonly reason: string };
};

export type TransferEvent = TransferInitiated | TransferCompleted | TransferFailed;

export const TRANSFER_STREAM_PREFIX = 'transfer-';
export const transferStream = (transferId: string): string => `${TRANSFER_STREAM_PREFIX}${transferId}`;

export type TransferStatus = 'none' | 'pending' | 'completed' | 'failed';

/** What GetTransfer answers, folded from the transfer stream. */
export type Transfer =
  | { readonly status: 'none' }
  | {
      readonly status: Exclude<TransferStatus, 'none'>;
      readonly transferId: string;
      readonly fromAccountId: string;
      readonly toAccountId: string;
      readonly amount: bigint;
      readonly currency: Currency;
      readonly failureReason?: string;
    };

export const initialTransfer: Transfer = { status: 'none' };

/** Past facts: the first outcome wins; a later one (never written by Ledger) is ignored. */
export function evolveTransfer(transfer: Transfer, event: TransferEvent): Transfer {
  switch (event.type) {
    case 'TransferInitiated':
      return transfer.status === 'none' ? { status: 'pending', ...event.data } : transfer;
    case 'TransferCompleted':
      return transfer.status === 'pending' ? { ...transfer, status: 'completed' } : transfer;
    case 'TransferFailed':
      return transfer.status === 'pending' ? { ...transfer, status: 'failed', failureReason: event.data.reason } : transfer;
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export const foldTransfer = (events: readonly TransferEvent[]): Transfer => events.reduce(evolveTransfer, initialTransfer);
