import { DeadlineExceededError, FORWARDS, StreamNotFoundError, UnavailableError, type EventStoreDBClient } from '@eventstore/db-client';
import { StoreUnavailable } from '../app/errors.js';
import { accountStream } from '../domain/events.js';
import type { StoredEvent } from '../readmodels/recorded-account-event.js';

/**
 * Reads an account stream for the projector: fills the holes a persistent
 * subscription leaves (it does not promise order) and catches a held account
 * up. Events come back still encoded; the projection decodes them.
 */
export class AccountGapReader {
  constructor(private readonly client: EventStoreDBClient) {}

  async readAccount(accountId: string, fromRevision: bigint, toRevision: bigint | undefined): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    const read = this.client.readStream(accountStream(accountId), {
      direction: FORWARDS,
      fromRevision,
      ...(toRevision === undefined ? {} : { maxCount: toRevision - fromRevision + 1n }),
    });
    try {
      for await (const resolved of read) {
        const e = resolved.event;
        if (e === undefined) continue;
        events.push({
          eventId: e.id,
          streamId: e.streamId,
          revision: e.revision,
          commitPosition: e.position?.commit,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          created: e.created,
        });
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      // An outage is not the batch's fault: the projector waits it out.
      if (err instanceof UnavailableError || err instanceof DeadlineExceededError) throw new StoreUnavailable(err.message);
      throw err;
    }
    return events;
  }
}
