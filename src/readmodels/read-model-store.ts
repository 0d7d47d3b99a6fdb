import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import type { StoredEvent } from './recorded-account-event.js';

/** The collections one fold writes into: the active pair, or a rebuild's fresh pair. */
export type ProjectionTargets = {
  readonly summaries: string;
  readonly transactions: string;
};

/** A summary replacing the one stored at expectedRevision (undefined: none stored yet). */
export type GuardedSummary = {
  readonly next: AccountSummaryDocument;
  readonly expectedRevision: bigint | undefined;
};

export type ProjectionBatch = {
  readonly transactions: readonly AccountTransactionDocument[];
  readonly summaries: readonly GuardedSummary[];
};

/**
 * An account whose projection waits behind an event it cannot apply (parked
 * or undecodable): its later events are not applied on top of the hole.
 */
export type AccountHold = {
  readonly accountId: string;
  readonly revision: bigint;
  readonly eventId: string;
  readonly reason: string;
};

/**
 * What the writer needs from the document store. The Mongo adapter is
 * mongo-read-model-store.ts; the benchmark uses an in-memory one to time the
 * fold and batching without Mongo.
 */
export interface ReadModelStore {
  loadSummaries(targets: ProjectionTargets, accountIds: readonly string[]): Promise<Map<string, AccountSummaryDocument>>;
  /**
   * One write for the batch: transactions first (idempotent by event id), then
   * the summaries, each guarded by its expected revision. Returns the
   * accounts whose guard failed (another consumer moved them first).
   */
  writeBatch(targets: ProjectionTargets, batch: ProjectionBatch): Promise<{ readonly conflicts: readonly string[] }>;
  loadHolds(accountIds: readonly string[]): Promise<Map<string, AccountHold>>;
  putHold(hold: AccountHold): Promise<void>;
  releaseHold(accountId: string): Promise<void>;
  countHolds(): Promise<number>;
}

/** Reads an account stream: the source for filling gaps and releasing holds. */
export interface AccountStreamReader {
  /** Events from fromRevision to toRevision inclusive (undefined: to the end of the stream). */
  readAccount(accountId: string, fromRevision: bigint, toRevision: bigint | undefined): Promise<readonly StoredEvent[]>;
}
