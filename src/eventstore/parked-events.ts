import { FORWARDS, START, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { accountIdOfStream } from '../readmodels/recorded-account-event.js';
import { attemptsOfParkedReason } from '../readmodels/parked-reason.js';

/** One message parked in a group and not yet replayed. */
export type ParkedEvent = {
  /** The subscription group it is parked in. */
  readonly group: string;
  readonly eventId: string;
  readonly stream: string;
  readonly revision: bigint;
  /** Undefined when the event is not in an account stream. */
  readonly accountId: string | undefined;
  readonly reason: string;
  /** Deliveries before it was parked; undefined when its reason does not say. */
  readonly attempts: number | undefined;
};

/** The parked stream of a group on $all, as the real server names it (and src/esdb-server does). */
export const parkedStreamOf = (group: string): string => `$persistentsubscription-$all::${group}-parked`;

/**
 * The group's parked messages, oldest first: the parked stream holds links
 * to the events with the reason in the link's metadata; replayed ones lie
 * before its truncate-before mark and are not read. A group that never
 * parked anything has no such stream: none.
 */
export async function listParkedEvents(client: EventStoreDBClient, group: string, limit: number): Promise<ParkedEvent[]> {
  const parked: ParkedEvent[] = [];
  try {
    for await (const resolved of client.readStream(parkedStreamOf(group), { direction: FORWARDS, fromRevision: START, maxCount: limit, resolveLinkTos: true })) {
      const event = resolved.event;
      if (event === undefined) continue; // the event itself was deleted since
      const reason = reasonOf(resolved.link?.metadata);
      parked.push({
        group,
        eventId: event.id,
        stream: event.streamId,
        revision: event.revision,
        accountId: accountIdOfStream(event.streamId),
        reason,
        attempts: attemptsOfParkedReason(reason),
      });
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
  return parked;
}

/** Each group's parked messages, group by group in the order given, at most `limitPerGroup` of each. */
export async function listParkedEventsOfGroups(client: EventStoreDBClient, groups: readonly string[], limitPerGroup: number): Promise<ParkedEvent[]> {
  const perGroup = await Promise.all(groups.map((group) => listParkedEvents(client, group, limitPerGroup)));
  return perGroup.flat();
}

/** `reason` of a parked link's metadata (the real server writes `Reason` in some versions). */
function reasonOf(metadata: unknown): string {
  if (typeof metadata !== 'object' || metadata === null) return '';
  const reason = 'reason' in metadata ? metadata.reason : 'Reason' in metadata ? metadata.Reason : undefined;
  return typeof reason === 'string' ? reason : '';
}
