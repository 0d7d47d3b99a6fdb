import { initialAccount } from '../domain/index.js';
import type { AccountEventStore } from './event-store.js';
import { evolveStored, knownCommandOf, type KnownCommand } from './loaded-account.js';

/**
 * The outcome of one command of the stream, found by folding it from the
 * start and keeping only that command (its balance needs the account as of
 * its last event): how a retry older than the account's command window is
 * answered as its first call was. Events are read one at a time, and a
 * command's events are contiguous (one append), so the read stops after its
 * last one. Undefined when the stream never held the id: the filter that
 * sent us here erred, and the command is new. Costs a read on such retries
 * and filter errors only.
 */
export async function findHandledCommand(store: AccountEventStore, stream: string, accountId: string, commandId: string): Promise<KnownCommand | undefined> {
  let state = initialAccount;
  let found: KnownCommand | undefined;
  for await (const stored of store.readEvents(stream, 0n)) {
    const ours = stored.metadata?.commandId === commandId;
    if (found !== undefined && !ours) return found;
    state = evolveStored(accountId, state, stored);
    if (ours) found = knownCommandOf(stored, state);
  }
  return found;
}
