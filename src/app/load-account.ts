import { emptyAccount, applyStored, type LoadedAccount } from './loaded-account.js';
import type { AccountEventStore } from './event-store.js';
import { usableSnapshot, type AccountSnapshots } from './account-snapshot.js';

/**
 * The one way the write side loads an account: start from what is already
 * known (`from`, e.g. a cached state) or from nothing, then fold the events
 * after it. Without `from`, it starts from the newest snapshot of the
 * current schema when `snapshots` is given (issue 6); a missing or unusable
 * snapshot only means folding from the start.
 */
export async function loadAccount(
  store: AccountEventStore,
  accountId: string,
  known?: LoadedAccount,
  snapshots?: AccountSnapshots,
): Promise<LoadedAccount> {
  const from = known
    ?? (snapshots && (await usableSnapshot(() => snapshots.latest(accountId)))?.loaded)
    ?? emptyAccount(accountId);
  const events = await store.readStream(from.stream, from.revision + 1n);
  return events.reduce(applyStored, from);
}
