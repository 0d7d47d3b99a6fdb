import type { AccountSummaryDocument } from './account-documents.js';
import type { AccountHold, ProjectionBatch, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { InMemoryAccountHolds } from './in-memory-account-holds.js';

/**
 * The live store as a rebuild uses it. Holds stay inside the rebuild: the
 * shared holds collection belongs to the live projector, and a rebuild must
 * neither see nor release them. When only summaries are rebuilt, the
 * transaction documents the fold also produces are not written anywhere.
 */
export class RebuildReadModelStore implements ReadModelStore {
  private readonly holds = new InMemoryAccountHolds();

  constructor(
    private readonly inner: ReadModelStore,
    private readonly keepTransactions: boolean,
  ) {}

  loadSummaries(targets: ProjectionTargets, accountIds: readonly string[]): Promise<Map<string, AccountSummaryDocument>> {
    return this.inner.loadSummaries(targets, accountIds);
  }

  writeBatch(targets: ProjectionTargets, batch: ProjectionBatch): Promise<{ readonly conflicts: readonly string[] }> {
    return this.inner.writeBatch(targets, this.keepTransactions ? batch : { ...batch, transactions: [] });
  }

  loadHolds(accountIds: readonly string[]): Promise<Map<string, AccountHold>> {
    return this.holds.loadHolds(accountIds);
  }

  putHold(hold: AccountHold): Promise<void> {
    return this.holds.putHold(hold);
  }

  releaseHold(accountId: string): Promise<void> {
    return this.holds.releaseHold(accountId);
  }

  countHolds(): Promise<number> {
    return this.holds.countHolds();
  }
}
