import { foldTransfer, type TransferEvent } from '../domain/index.js';

/**
 * `transfers`: one document per transfer (issue 15), _id = transfer id, a
 * pure fold of its `transfer-<id>` stream: status, both legs, timestamps.
 * Money is BSON Int64 (bigint here), times are the events' occurred_at.
 */
export type TransferDocument = {
  readonly _id: string;
  readonly from_account_id: string;
  readonly to_account_id: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly status: 'pending' | 'completed' | 'failed';
  readonly failure_reason: string | null;
  readonly requested_at: Date;
  readonly finished_at: Date | null;
  /** Revision of the transfer stream's last event folded in. The write guard. */
  readonly revision: bigint;
};

export type RecordedTransferEvent = { readonly event: TransferEvent | undefined; readonly revision: bigint; readonly occurredAt: Date };

export const TRANSFERS_COLLECTION = 'transfers';

/** The document of a transfer stream's events (in order); undefined before its initiation. */
export function transferDocumentOf(events: readonly RecordedTransferEvent[]): TransferDocument | undefined {
  const transfer = foldTransfer(events.flatMap((e) => (e.event ? [e.event] : [])));
  const requested = events.find((e) => e.event?.type === 'TransferInitiated');
  const last = events.at(-1);
  if (transfer.status === 'none' || requested === undefined || last === undefined) return undefined;
  const finished = transfer.status === 'pending' ? undefined : events.find((e) => e.event?.type === 'TransferCompleted' || e.event?.type === 'TransferFailed');
  return {
    _id: transfer.transferId,
    from_account_id: transfer.fromAccountId,
    to_account_id: transfer.toAccountId,
    amount: transfer.amount,
    currency: transfer.currency,
    status: transfer.status,
    failure_reason: transfer.failureReason ?? null,
    requested_at: requested.occurredAt,
    finished_at: finished?.occurredAt ?? null,
    revision: last.revision,
  };
}
