import type { AccountHold } from './read-model-store.js';

/**
 * Account holds kept in process, keyed by account: a rebuild's own holds
 * (the shared collection belongs to the live projector) and unit tests'.
 * The first hold of an account stays: later events wait behind it.
 */
export class InMemoryAccountHolds extends Map<string, AccountHold> {
  async loadHolds(accountIds: readonly string[]): Promise<Map<string, AccountHold>> {
    const found = new Map<string, AccountHold>();
    for (const id of accountIds) {
      const hold = this.get(id);
      if (hold !== undefined) found.set(id, hold);
    }
    return found;
  }

  async putHold(hold: AccountHold): Promise<void> {
    if (!this.has(hold.accountId)) this.set(hold.accountId, hold);
  }

  async releaseHold(accountId: string): Promise<void> {
    this.delete(accountId);
  }

  async countHolds(): Promise<number> {
    return this.size;
  }
}
