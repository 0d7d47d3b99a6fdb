import { AccountProjectionWriter } from './account-projection-writer.js';
import { AccountSummaryProjection } from './account-summary-projection.js';
import { AccountTransactionsProjection } from './account-transactions-projection.js';
import { plainEventDecoder, type EventDecoder } from '../domain/event-decoder.js';
import type { StoredEvent } from './recorded-account-event.js';
import { decodeOrSkip, recordedEventDecoder } from './event-repairs.js';
import type { AccountStreamReader, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { RebuildReadModelStore } from './rebuild-store.js';
import type { RebuildTarget } from './rebuild.js';

export const rebuildableProjections = [AccountSummaryProjection.name, AccountTransactionsProjection.name] as const;
export type RebuildableProjection = (typeof rebuildableProjections)[number];
export const isRebuildableProjection = (name: string): name is RebuildableProjection =>
  (rebuildableProjections as readonly string[]).includes(name);

/** Creating and dropping collections: Mongo in production, nothing for the in-memory benchmark. */
export interface RebuildCollections {
  create(targets: ProjectionTargets): Promise<void>;
  drop(name: string): Promise<void>;
}

/**
 * A rebuild writes with the projector's own writer and fold, into fresh
 * collections. The two projections fold together (balance_after needs the
 * summary), so the one not being rebuilt gets a scratch collection that is
 * dropped at the end: `<target>_fold` holds the summaries a transactions
 * rebuild folds through; a summaries rebuild discards transactions.
 * `decoder` must be the live projector's (the deployed repairs and
 * upcasters): with another one a rebuild would undo a repair (issue 14).
 */
export function rebuildTargetFor(
  projection: RebuildableProjection,
  collection: string,
  store: ReadModelStore,
  streams: AccountStreamReader,
  collections: RebuildCollections,
  decoder: EventDecoder = plainEventDecoder,
): RebuildTarget {
  const decode = recordedEventDecoder(decoder);
  const summariesOnly = projection === AccountSummaryProjection.name;
  const scratch = summariesOnly ? `${collection}_tx` : `${collection}_fold`;
  const targets: ProjectionTargets = summariesOnly
    ? { summaries: collection, transactions: scratch }
    : { summaries: scratch, transactions: collection };
  const staging = new RebuildReadModelStore(store, !summariesOnly);
  const writer = new AccountProjectionWriter(staging, streams, decode);
  return {
    collection,
    prepare: () => collections.create(targets),
    flush: () => staging.flush(),
    writeThrough: () => staging.writeThrough(),
    apply: async (events: readonly StoredEvent[]) => {
      const recorded = events.flatMap((e) => decodeOrSkip(decode, e));
      if (recorded.length > 0) await writer.project(targets, recorded);
    },
    held: () => staging.heldAccounts(),
    finish: () => collections.drop(scratch),
    drop: async () => {
      await collections.drop(collection);
      await collections.drop(scratch);
    },
  };
}
