import { AccountNotFound, RevisionNotReached, accountStream, evolve, initialAccount, movesMoney, type Account } from '../domain/index.js';
import type { AccountEventStore, StoredEvent } from './event-store.js';
import { AccountStreamDamaged } from './errors.js';
import { usableSnapshot, type AccountSnapshot, type AccountSnapshots, type AsOf } from './account-snapshot.js';

export type { AsOf } from './account-snapshot.js';

/** An account's state at a point in its history, with the times the read side shows. */
export type AccountAsOf = {
  readonly state: Exclude<Account, { status: 'none' }>;
  readonly revision: bigint;
  readonly openedAt: Date;
  readonly lastTxAt: Date | undefined;
  readonly closedAt: Date | undefined;
  readonly updatedAt: Date;
};

/**
 * Exact state "as of" a time or a revision, folded from the event stream
 * ("balance on Jan 15"). A time includes every event that occurred at or
 * before it; occurred_at never decreases within a stream (the command
 * handler sees to it), so that is a prefix of the stream.
 */
export async function getAccountAsOf(store: AccountEventStore, accountId: string, asOf: AsOf, snapshots?: AccountSnapshots): Promise<AccountAsOf> {
  // The nearest snapshot at or before the point, if any, then the events after it (issue 6).
  const snap = snapshots && (await usableSnapshot(() => snapshots.atOrBefore(accountId, asOf)));
  const events = await store.readStream(accountStream(accountId), (snap?.loaded.revision ?? -1n) + 1n);
  const head = events.at(-1)?.revision ?? snap?.loaded.revision ?? -1n;
  const beyondHead = 'revision' in asOf && asOf.revision > head;
  const included = (e: StoredEvent): boolean =>
    'revision' in asOf ? e.revision <= asOf.revision : occurredAt(e).getTime() <= asOf.timestamp.getTime();

  let state: Account = snap?.loaded.state ?? initialAccount;
  let view: Omit<AccountAsOf, 'state'> | undefined = snap && viewOfSnapshot(snap);
  for (const stored of events) {
    if (!included(stored)) break;
    // Only a point at or after the bad event needs it: earlier points still answer (issue 14).
    if (stored.undecodable !== undefined) throw new AccountStreamDamaged(accountId, stored.eventId, stored.revision, stored.undecodable);
    if (!stored.event) continue;
    state = evolve(state, stored.event);
    const at = occurredAt(stored);
    const type = stored.event.type;
    view = {
      revision: stored.revision,
      openedAt: type === 'AccountOpened' ? at : (view?.openedAt ?? at),
      lastTxAt: movesMoney(type) ? at : view?.lastTxAt,
      closedAt: type === 'AccountClosed' ? at : view?.closedAt,
      updatedAt: at,
    };
  }
  // An account that never existed is NOT_FOUND at any revision (issue 12: revision 0 of a missing
  // stream answered OUT_OF_RANGE); one that exists but has not reached the revision is OUT_OF_RANGE.
  if (state.status === 'none' || view === undefined) throw new AccountNotFound(accountId);
  if (beyondHead) throw new RevisionNotReached(asOf.revision, head);
  return { state, ...view };
}

function viewOfSnapshot(snap: AccountSnapshot): Omit<AccountAsOf, 'state'> | undefined {
  const { openedAt, lastTxAt, closedAt, loaded } = snap;
  if (openedAt === undefined || loaded.lastOccurredAt === undefined) return undefined;
  const date = (s: string | undefined) => (s === undefined ? undefined : new Date(s));
  return { revision: loaded.revision, openedAt: new Date(openedAt), lastTxAt: date(lastTxAt), closedAt: date(closedAt), updatedAt: new Date(loaded.lastOccurredAt) };
}

const occurredAt = (e: StoredEvent): Date => (e.metadata ? new Date(e.metadata.occurredAt) : e.created);
