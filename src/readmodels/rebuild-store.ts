import type { AccountSummaryDocument } from './account-documents.js';
import type { AccountHold, ProjectionBatch, ProjectionTargets, ReadModelStore } from './read-model-store.js';

/**
 * The live store as a rebuild uses it. Holds stay inside the rebuild: the
 * shared holds collection belongs to the live projector, and a rebuild must
 * neither see nor release them. When only summaries are rebuilt, the
 * transaction documents the fold also produces are not written anywhere.
 */
export class RebuildReadModelStore implements ReadModelStore {
  private readonly holds = new Map<string, AccountHold>();

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

  async loadHolds(accountIds: readonly string[]): Promise<Map<string, AccountHold>> {
    const found = new Map<string, AccountHold>();
    for (const id of accountIds) {
      const hold = this.holds.get(id);
      if (hold !== undefined) found.set(id, hold);
    }
    return found;
  }

  async putHold(hold: AccountHold): Promise<void> {
    if (!this.holds.has(hold.accountId)) this.holds.set(hold.accountId, hold);
  }

  async releaseHold(accountId: string): Promise<void> {
    this.holds.delete(accountId);
  }

  async countHolds(): Promise<number> {
    return this.holds.size;
  }
}
