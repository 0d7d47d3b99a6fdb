import { FORWARDS, START, type EventStoreDBClient, BACKWARDS, END } from '@eventstore/db-client';
import { PersistentSubscriptionDoesNotExistError } from '@eventstore/db-client';
import { ACCOUNT_STREAM_PREFIX } from '../domain/events.js';

export type SubscriptionGroupStats = {
  readonly parkedCount: bigint;
  readonly inFlight: number;
  readonly lastCheckpointedPosition: bigint | undefined;
  readonly lastKnownPosition: bigint | undefined;
};

/** Replays the group's parked messages (the Admin API's ReplayParked); returns false when the group does not exist. */
export async function replayParkedAccountEvents(client: EventStoreDBClient, group: string): Promise<boolean> {
  try {
    await client.replayParkedMessagesToAll(group);
    return true;
  } catch (err) {
    if (err instanceof PersistentSubscriptionDoesNotExistError) return false;
    throw err;
  }
}

export async function subscriptionGroupStats(client: EventStoreDBClient, group: string): Promise<SubscriptionGroupStats | undefined> {
  try {
    const info = await client.getPersistentSubscriptionToAllInfo(group);
    return {
      parkedCount: info.stats.parkedMessageCount,
      inFlight: info.stats.totalInFlightMessages,
      lastCheckpointedPosition: info.stats.lastCheckpointedEventPosition?.commit,
      lastKnownPosition: info.stats.lastKnownEventPosition?.commit,
    };
  } catch (err) {
    if (err instanceof PersistentSubscriptionDoesNotExistError) return undefined;
    throw err;
  }
}

export type HeadOfAccounts = { readonly position: bigint; readonly created: Date } | undefined;

/**
 * Account events (or those of the streams under another prefix: the
 * transfer documents count `transfer-`) in $all after a commit position,
 * counted up to `cap` (positions are byte offsets in EventStoreDB, so a count needs a read).
 */
export async function countAccountEventsAfter(client: EventStoreDBClient, after: bigint | undefined, cap: number, streamPrefix = ACCOUNT_STREAM_PREFIX): Promise<{ count: number; capped: boolean }> {
  let count = 0;
  const read = client.readAll({
    direction: FORWARDS,
    fromPosition: after === undefined ? START : { commit: after, prepare: after },
    maxCount: cap + 1,
    resolveLinkTos: false,
  });
  for await (const resolved of read) {
    const e = resolved.event;
    if (e === undefined || !e.streamId.startsWith(streamPrefix)) continue;
    if (after !== undefined && e.position.commit <= after) continue;
    count += 1;
  }
  return { count: Math.min(count, cap), capped: count > cap };
}

/** The newest record in $all (any stream): the head the lag is measured against. */
export async function headOfLog(client: EventStoreDBClient): Promise<HeadOfAccounts> {
  let head: HeadOfAccounts;
  // Read to the end of the (one-record) answer rather than returning from the
  // loop: cancelling the call early left the client unable to dispose while
  // another call was in flight.
  for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (resolved.event) head = { position: resolved.event.position.commit, created: resolved.event.created };
  }
  return head;
}
