import type { AccountSummaryDocument } from './account-documents.js';
import type { AccountHold, ProjectionBatch, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { InMemoryAccountHolds } from './in-memory-account-holds.js';
import { summaryKey } from './written-summaries.js';

type Staged = { readonly targets: ProjectionTargets; summary: AccountSummaryDocument; readonly persisted: bigint | undefined };

/**
 * The live store as a rebuild uses it. Holds stay inside the rebuild: the
 * shared holds collection belongs to the live projector, and a rebuild must
 * neither see nor release them. When only summaries are rebuilt, the
 * transaction documents the fold also produces are not written anywhere.
 *
 * Until the flip nobody else writes the fresh collections, so summaries are
 * staged in memory and written once per flush (each account once, however
 * many of its events the pages between two flushes held): with events spread
 * over many accounts a page touches almost one account per event, and the
 * writes, not the fold, set the pace (bench/read-side.ts). The rebuild
 * records its position only after a flush, so a restart resumes from what is
 * in Mongo. After the flip the live projector writes there too: writeThrough().
 */
export class RebuildReadModelStore implements ReadModelStore {
  private readonly holds = new InMemoryAccountHolds();
  private readonly staged = new Map<string, Staged>();
  private staging = true;

  constructor(
    private readonly inner: ReadModelStore,
    private readonly keepTransactions: boolean,
  ) {}

  async loadSummaries(targets: ProjectionTargets, accountIds: readonly string[]): Promise<Map<string, AccountSummaryDocument>> {
    const found = new Map<string, AccountSummaryDocument>();
    const missing: string[] = [];
    for (const id of accountIds) {
      const staged = this.staged.get(summaryKey(targets.summaries, id));
      if (staged === undefined) missing.push(id);
      else found.set(id, staged.summary);
    }
    if (missing.length > 0) for (const [id, doc] of await this.inner.loadSummaries(targets, missing)) found.set(id, doc);
    return found;
  }

  async writeBatch(targets: ProjectionTargets, batch: ProjectionBatch): Promise<{ readonly conflicts: readonly string[] }> {
    const transactions = this.keepTransactions ? batch.transactions : [];
    if (!this.staging) return this.inner.writeBatch(targets, { transactions, summaries: batch.summaries });
    if (transactions.length > 0) await this.inner.writeBatch(targets, { transactions, summaries: [] });
    for (const { next, expectedRevision } of batch.summaries) {
      const k = summaryKey(targets.summaries, next._id);
      const staged = this.staged.get(k);
      if (staged === undefined) this.staged.set(k, { targets, summary: next, persisted: expectedRevision });
      else staged.summary = next;
    }
    return { conflicts: [] };
  }

  /** Writes the staged summaries, each guarded by the revision Mongo holds; nobody else may have moved them. */
  async flush(): Promise<void> {
    const byTargets = new Map<string, { targets: ProjectionTargets; staged: Staged[] }>();
    for (const s of this.staged.values()) {
      const group = byTargets.get(s.targets.summaries) ?? { targets: s.targets, staged: [] };
      group.staged.push(s);
      byTargets.set(s.targets.summaries, group);
    }
    for (const { targets, staged } of byTargets.values()) {
      const { conflicts } = await this.inner.writeBatch(targets, {
        transactions: [],
        summaries: staged.map((s) => ({ next: s.summary, expectedRevision: s.persisted })),
      });
      if (conflicts.length > 0) throw new Error(`rebuild collection ${targets.summaries} was written by someone else before the flip (accounts ${conflicts.slice(0, 3).join(', ')})`);
    }
    this.staged.clear();
  }

  /** Flushes, then writes every batch through (guarded, conflicts re-folded by the writer): from the flip on. */
  async writeThrough(): Promise<void> {
    await this.flush();
    this.staging = false;
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

  /** The rebuild's holds (accounts skipped at a damaged event), for its progress. */
  heldAccounts(): readonly AccountHold[] {
    return [...this.holds.values()];
  }

  countHolds(): Promise<number> {
    return this.holds.countHolds();
  }
}
