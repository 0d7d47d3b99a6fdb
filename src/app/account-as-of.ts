import { AccountNotFound, RevisionNotReached, accountStream, evolve, initialAccount, type Account } from '../domain/index.js';
import type { AccountEventStore, StoredEvent } from './event-store.js';

export type AsOf = { readonly timestamp: Date } | { readonly revision: bigint };

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
export async function getAccountAsOf(store: AccountEventStore, accountId: string, asOf: AsOf): Promise<AccountAsOf> {
  const events = await store.readStream(accountStream(accountId), 0n);
  const head = events.at(-1)?.revision ?? -1n;
  if ('revision' in asOf && asOf.revision > head) throw new RevisionNotReached(asOf.revision, head);
  const included = (e: StoredEvent): boolean =>
    'revision' in asOf ? e.revision <= asOf.revision : occurredAt(e).getTime() <= asOf.timestamp.getTime();

  let state: Account = initialAccount;
  let view: Omit<AccountAsOf, 'state'> | undefined;
  for (const stored of events) {
    if (!included(stored)) break;
    if (!stored.event) continue;
    state = evolve(state, stored.event);
    const at = occurredAt(stored);
    const type = stored.event.type;
    view = {
      revision: stored.revision,
      openedAt: type === 'AccountOpened' ? at : (view?.openedAt ?? at),
      lastTxAt: type === 'MoneyDeposited' || type === 'MoneyWithdrawn' ? at : view?.lastTxAt,
      closedAt: type === 'AccountClosed' ? at : view?.closedAt,
      updatedAt: at,
    };
  }
  if (state.status === 'none' || view === undefined) throw new AccountNotFound(accountId);
  return { state, ...view };
}

const occurredAt = (e: StoredEvent): Date => (e.metadata ? new Date(e.metadata.occurredAt) : e.created);
