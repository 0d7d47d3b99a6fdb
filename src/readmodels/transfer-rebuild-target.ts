import { MalformedEvent, TRANSFER_STREAM_PREFIX, plainEventDecoder, type EventDecoder } from '../domain/index.js';
import { MongoTransferDocuments } from './mongo-transfer-documents.js';
import type { StoredEvent } from './recorded-account-event.js';
import type { RebuildTarget } from './rebuild.js';
import { evolveTransferDocument, type RecordedTransferEvent, type TransferDocument } from './transfer-documents.js';

/**
 * A rebuild of `transfers` (issue 15) into a fresh collection, from the
 * transfer streams' events in `$all` order. Each page folds the documents it
 * touches (loaded from the target, since a transfer's events may straddle
 * pages) and writes them in one guarded bulk write, so nothing is staged
 * between pages and a resumed run repeats at most one page harmlessly (the
 * fold skips events at or below a document's revision). After the flip the
 * live writer writes the same collection; both are guarded by revision.
 * `decoder` must be the live one (deployed repairs and upcasters, issue 14).
 */
export function transferRebuildTarget(documents: MongoTransferDocuments, decoder: EventDecoder = plainEventDecoder): RebuildTarget {
  // A transfer with an undecodable event stays at its last good document, as the live writer leaves it (it parks).
  const held = new Set<string>();
  return {
    collection: documents.collection,
    prepare: () => documents.ensureIndexes(),
    apply: async (events: readonly StoredEvent[]) => {
      const byTransfer = new Map<string, RecordedTransferEvent[]>();
      for (const stored of events) {
        if (!stored.streamId.startsWith(TRANSFER_STREAM_PREFIX)) continue;
        const transferId = stored.streamId.slice(TRANSFER_STREAM_PREFIX.length);
        if (held.has(transferId)) continue;
        let recorded: RecordedTransferEvent;
        try {
          recorded = { event: decoder.decodeTransfer(stored), revision: stored.revision, occurredAt: occurredAtOf(stored) };
        } catch (err) {
          if (!(err instanceof MalformedEvent)) throw err;
          held.add(transferId);
          continue;
        }
        byTransfer.set(transferId, [...(byTransfer.get(transferId) ?? []), recorded]);
      }
      if (byTransfer.size === 0) return;
      const stored = await documents.getMany([...byTransfer.keys()]);
      const folded: TransferDocument[] = [];
      const present: TransferDocument[] = [];
      for (const [transferId, recorded] of byTransfer) {
        const before = stored.get(transferId);
        const after = recorded.reduce(evolveTransferDocument, before);
        if (before !== undefined) present.push(before);
        if (after !== undefined && after !== before) folded.push(after);
      }
      // writeMany lists the documents it inserts; those already there are listed again (idempotent),
      // which lists documents written before the account index existed (a fill after an upgrade).
      await documents.accounts.add(present);
      await documents.writeMany(folded, stored);
    },
    finish: async () => {},
    drop: () => documents.drop(),
  };
}

/** occurred_at from the writer's metadata, else when the store recorded it (as the transfer stream's reader does). */
function occurredAtOf(stored: StoredEvent): Date {
  const m = stored.metadata;
  const at = typeof m === 'object' && m !== null && 'occurred_at' in m && typeof m.occurred_at === 'string' ? new Date(m.occurred_at) : undefined;
  return at !== undefined && !Number.isNaN(at.getTime()) ? at : stored.created;
}
