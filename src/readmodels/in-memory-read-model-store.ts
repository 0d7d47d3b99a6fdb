import type { AccountSummaryDocument, AccountTransactionDocument } from './account-documents.js';
import type { AccountHold, ProjectionBatch, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import { InMemoryAccountHolds } from './in-memory-account-holds.js';

/**
 * ReadModelStore in process memory, with the same guard semantics as Mongo.
 * For the benchmark (Mongo left out) and pure tests of the writer; the Mongo
 * adapter is tested against a real Mongo-wire server.
 */
export class InMemoryReadModelStore implements ReadModelStore {
  readonly summaries = new Map<string, Map<string, AccountSummaryDocument>>();
  readonly transactions = new Map<string, Map<string, AccountTransactionDocument>>();
  readonly holds = new InMemoryAccountHolds();
  writeCalls = 0;

  async loadSummaries(targets: ProjectionTargets, accountIds: readonly string[]): Promise<Map<string, AccountSummaryDocument>> {
    const coll = this.summaryCollection(targets.summaries);
    const found = new Map<string, AccountSummaryDocument>();
    for (const id of accountIds) {
      const doc = coll.get(id);
      if (doc !== undefined) found.set(id, doc);
    }
    return found;
  }

  async writeBatch(targets: ProjectionTargets, batch: ProjectionBatch): Promise<{ conflicts: readonly string[] }> {
    this.writeCalls += 1;
    let txColl = this.transactions.get(targets.transactions);
    if (txColl === undefined) this.transactions.set(targets.transactions, (txColl = new Map()));
    for (const tx of batch.transactions) if (!txColl.has(tx._id)) txColl.set(tx._id, tx);
    const coll = this.summaryCollection(targets.summaries);
    const conflicts: string[] = [];
    for (const { next, expectedRevision } of batch.summaries) {
      if (coll.get(next._id)?.revision !== expectedRevision) conflicts.push(next._id);
      else coll.set(next._id, next);
    }
    return { conflicts };
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

  private summaryCollection(name: string): Map<string, AccountSummaryDocument> {
    let coll = this.summaries.get(name);
    if (coll === undefined) this.summaries.set(name, (coll = new Map()));
    return coll;
  }
}
