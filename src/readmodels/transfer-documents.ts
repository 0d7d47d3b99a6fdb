import type { TransferEvent } from '../domain/index.js';

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

/** The projection's name in the registry, and the collection a fresh deployment serves it from. */
export const TRANSFERS_PROJECTION = 'transfers';
export const TRANSFERS_COLLECTION = TRANSFERS_PROJECTION;

/**
 * One event folded into a transfer's document (undefined before its
 * initiation). An event at or below the document's revision is already in
 * it and changes nothing, so a rebuild may meet an event twice. The first
 * outcome wins, as in the transfer's own fold (domain/transfer.ts); events
 * of unknown types still advance the revision.
 */
export function evolveTransferDocument(doc: TransferDocument | undefined, recorded: RecordedTransferEvent): TransferDocument | undefined {
  const { event, revision, occurredAt } = recorded;
  if (doc === undefined) {
    if (event?.type !== 'TransferInitiated') return undefined;
    const { transferId, fromAccountId, toAccountId, amount, currency } = event.data;
    return {
      _id: transferId, from_account_id: fromAccountId, to_account_id: toAccountId, amount, currency,
      status: 'pending', failure_reason: null, requested_at: occurredAt, finished_at: null, revision,
    };
  }
  if (revision <= doc.revision) return doc;
  if (doc.status === 'pending' && event?.type === 'TransferCompleted') return { ...doc, status: 'completed', finished_at: occurredAt, revision };
  if (doc.status === 'pending' && event?.type === 'TransferFailed') return { ...doc, status: 'failed', failure_reason: event.data.reason, finished_at: occurredAt, revision };
  return { ...doc, revision };
}

/** The document of a transfer stream's events (in order); undefined before its initiation. */
export const transferDocumentOf = (events: readonly RecordedTransferEvent[]): TransferDocument | undefined =>
  events.reduce<TransferDocument | undefined>(evolveTransferDocument, undefined);
