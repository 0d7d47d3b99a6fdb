import { emptyAccount, applyStored, type LoadedAccount } from './loaded-account.js';
import type { AccountEventStore } from './event-store.js';
import { usableSnapshot, type AccountSnapshots } from './account-snapshot.js';
import { DEFAULT_COMMAND_WINDOW } from './command-window.js';

/**
 * The one way the write side loads an account: start from what is already
 * known (`from`, e.g. a cached state) or from nothing, then fold the events
 * after it. Without `from`, it starts from the newest snapshot of the
 * current schema when `snapshots` is given (issue 6); a missing or unusable
 * snapshot only means folding from the start. A fresh start keeps the
 * outcomes of the last `commandWindow` commands (command-window.ts), so even
 * a full load holds that many, older ids in a filter.
 */
export async function loadAccount(
  store: AccountEventStore,
  accountId: string,
  known?: LoadedAccount,
  snapshots?: AccountSnapshots,
  commandWindow: number = DEFAULT_COMMAND_WINDOW,
): Promise<LoadedAccount> {
  const snapshot = known === undefined && snapshots ? (await usableSnapshot(() => snapshots.latest(accountId)))?.loaded : undefined;
  const from = known
    ?? (snapshot && { ...snapshot, commands: snapshot.commands.withLimit(commandWindow) })
    ?? emptyAccount(accountId, commandWindow);
  let loaded = from;
  for await (const stored of store.readEvents(from.stream, from.revision + 1n)) loaded = applyStored(loaded, stored);
  return loaded;
}
