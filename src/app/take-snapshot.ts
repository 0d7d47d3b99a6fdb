import { accountStream, movesMoney } from '../domain/index.js';
import { usableSnapshot, type AccountSnapshot, type AccountSnapshots } from './account-snapshot.js';
import type { AccountEventStore, StoredEvent } from './event-store.js';
import { applyStored, emptyAccount } from './loaded-account.js';

export type SnapshotTaken = 'taken' | 'up_to_date' | 'no_stream';

/**
 * SnapshotJob's use case: fold the stream from the newest usable snapshot (or
 * from the start) to its end and save the result. Idempotent: a stream with
 * no event after its newest snapshot is left alone.
 */
export async function takeSnapshot(store: AccountEventStore, snapshots: AccountSnapshots, accountId: string): Promise<SnapshotTaken> {
  const base = await usableSnapshot(() => snapshots.latest(accountId));
  const from = base?.loaded.revision ?? -1n;
  const events = await store.readStream(accountStream(accountId), from + 1n);
  if (events.length === 0) return base ? 'up_to_date' : 'no_stream';
  let snapshot: AccountSnapshot = base ?? { loaded: emptyAccount(accountId), openedAt: undefined, lastTxAt: undefined, closedAt: undefined };
  for (const stored of events) snapshot = { ...timesAfter(snapshot, stored), loaded: applyStored(snapshot.loaded, stored) };
  await snapshots.save(snapshot);
  return 'taken';
}

/** The times getAccountAsOf answers with, advanced by one event (same rules as its fold). */
function timesAfter(s: AccountSnapshot, stored: StoredEvent): AccountSnapshot {
  if (!stored.event) return s;
  const at = stored.metadata?.occurredAt ?? stored.created.toISOString();
  const type = stored.event.type;
  return {
    ...s,
    openedAt: type === 'AccountOpened' ? at : (s.openedAt ?? at),
    lastTxAt: movesMoney(type) ? at : s.lastTxAt,
    closedAt: type === 'AccountClosed' ? at : s.closedAt,
  };
}
