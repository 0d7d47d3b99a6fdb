import { emptyAccount, applyStored, type LoadedAccount } from './loaded-account.js';
import type { AccountEventStore } from './event-store.js';

/**
 * The one way the write side loads an account: start from what is already
 * known (`from`, e.g. a cached state) or from nothing, then fold the events
 * after it. The snapshot issue extends this: no `from` → latest snapshot.
 */
export async function loadAccount(
  store: AccountEventStore,
  accountId: string,
  from: LoadedAccount = emptyAccount(accountId),
): Promise<LoadedAccount> {
  const events = await store.readStream(from.stream, from.revision + 1n);
  return events.reduce(applyStored, from);
}
