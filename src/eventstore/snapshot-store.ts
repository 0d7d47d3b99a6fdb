import {
  BACKWARDS,
  END,
  NO_STREAM,
  ANY,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { z } from 'zod';

/** Snapshot streams sit beside the account streams, outside the `account-` prefix the projector reads. */
export const snapshotStream = (accountId: string): string => `snapshot-account-${accountId}`;
export const SNAPSHOT_EVENT_TYPE = 'AccountSnapshotted';

/**
 * One snapshot as stored: the state JSON (shape owned by the snapshot codec),
 * the stream revision it was taken at, the codec's schema version, and when
 * the last folded event occurred (so an as-of-time query can pick it).
 */
export type StoredSnapshot = {
  readonly state: Readonly<Record<string, unknown>>;
  readonly revision: bigint;
  readonly schemaVersion: number;
  readonly occurredAt: string | undefined;
};

const storedSnapshotJson = z.object({
  state: z.record(z.unknown()),
  revision: z.string().regex(/^[0-9]+$/),
  schema_version: z.number().int(),
  occurred_at: z.string().optional(),
});

/**
 * Reads and writes `snapshot-account-<id>`. Only the last `keep` snapshots are
 * retained (`$maxCount`), enough for as-of queries near the head; older
 * points simply fold more events.
 */
export class SnapshotStore {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly keep = 10,
  ) {}

  async write(accountId: string, snapshot: StoredSnapshot): Promise<void> {
    const stream = snapshotStream(accountId);
    const event = jsonEvent({
      type: SNAPSHOT_EVENT_TYPE,
      data: {
        state: { ...snapshot.state },
        revision: snapshot.revision.toString(),
        schema_version: snapshot.schemaVersion,
        ...(snapshot.occurredAt === undefined ? {} : { occurred_at: snapshot.occurredAt }),
      },
    });
    try {
      // The first snapshot creates the stream; setting $maxCount then keeps it bounded.
      await this.client.appendToStream(stream, event, { expectedRevision: NO_STREAM });
      await this.client.setStreamMetadata(stream, { maxCount: this.keep });
    } catch (e) {
      if (!(e instanceof WrongExpectedVersionError)) throw e;
      await this.client.appendToStream(stream, event, { expectedRevision: ANY });
    }
  }

  /**
   * The newest snapshot that `accept` takes (schema version, revision or time
   * bound), newest first. Unreadable records are skipped: a bad snapshot only
   * costs a longer fold, never a wrong state.
   */
  async find(accountId: string, accept: (s: StoredSnapshot) => boolean): Promise<StoredSnapshot | undefined> {
    try {
      const read = this.client.readStream(snapshotStream(accountId), {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: this.keep,
      });
      // Read all (at most `keep`) records: leaving a for-await early leaves the call open.
      let found: StoredSnapshot | undefined;
      for await (const resolved of read) {
        if (found) continue;
        const parsed = parseSnapshot(resolved.event?.type, resolved.event?.data);
        if (parsed && accept(parsed)) found = parsed;
      }
      return found;
    } catch (e) {
      if (e instanceof StreamNotFoundError) return undefined;
      throw e;
    }
  }

  /** The newest snapshot of this schema version. */
  latest(accountId: string, schemaVersion: number): Promise<StoredSnapshot | undefined> {
    return this.find(accountId, (s) => s.schemaVersion === schemaVersion);
  }
}

function parseSnapshot(type: string | undefined, data: unknown): StoredSnapshot | undefined {
  if (type !== SNAPSHOT_EVENT_TYPE) return undefined;
  const r = storedSnapshotJson.safeParse(data);
  if (!r.success) return undefined;
  return {
    state: r.data.state,
    revision: BigInt(r.data.revision),
    schemaVersion: r.data.schema_version,
    occurredAt: r.data.occurred_at,
  };
}
