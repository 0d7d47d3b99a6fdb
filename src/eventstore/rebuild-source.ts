import { BACKWARDS, END, FORWARDS, START, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCOUNT_STREAM_PREFIX, accountStream } from '../domain/events.js';

/** A position in `$all`, as the store orders it. */
export type LogPosition = { readonly commit: bigint; readonly prepare: bigint };

/** An account event read from `$all`, still as stored (type + JSON); the readmodels' StoredEvent shape. */
export type LoggedAccountEvent = {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: bigint;
  readonly commitPosition: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly created: Date;
};

export type LogPage = {
  readonly events: LoggedAccountEvent[];
  /** Position of the last record read (account or not); resume after it. */
  readonly last: LogPosition | undefined;
  /** Fewer records than asked for: the head of the log was reached. */
  readonly atHead: boolean;
};

/**
 * Pages through `$all` for rebuilds and the snapshot sweep. readAll has no
 * server-side filter in this client, so non-account records (snapshots,
 * system streams) are skipped here but still move the position on.
 * `streamPrefix` picks other streams' events instead (the transfers
 * rebuild: `transfer-`).
 */
export class AccountLogReader {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly streamPrefix: string = ACCOUNT_STREAM_PREFIX,
  ) {}

  async page(after: LogPosition | undefined, max: number): Promise<LogPage> {
    // readAll from a position includes the record at that position: ask for one more and drop it.
    const read = this.client.readAll({
      direction: FORWARDS,
      fromPosition: after ?? START,
      maxCount: after ? max + 1 : max,
      resolveLinkTos: false,
    });
    const events: LoggedAccountEvent[] = [];
    let last: LogPosition | undefined = after;
    let records = 0;
    for await (const resolved of read) {
      const e = resolved.event;
      if (!e) continue;
      if (after && e.position.commit === after.commit && e.position.prepare === after.prepare) continue;
      records++;
      last = e.position;
      if (!e.streamId.startsWith(this.streamPrefix) || !e.isJson) continue;
      events.push({
        eventId: e.id,
        streamId: e.streamId,
        revision: e.revision,
        commitPosition: e.position.commit,
        type: e.type,
        data: e.data,
        metadata: e.metadata,
        created: e.created,
      });
    }
    return { events, last, atHead: records < max };
  }

  /** Events of one account stream, fromRevision to toRevision inclusive (undefined: to its end); fills a rebuild's gaps. */
  async readAccount(accountId: string, fromRevision: bigint, toRevision: bigint | undefined): Promise<LoggedAccountEvent[]> {
    const out: LoggedAccountEvent[] = [];
    const maxCount = toRevision === undefined ? undefined : toRevision - fromRevision + 1n;
    if (maxCount !== undefined && maxCount <= 0n) return out;
    try {
      const read = this.client.readStream(accountStream(accountId), {
        direction: FORWARDS,
        fromRevision,
        ...(maxCount === undefined ? {} : { maxCount }),
      });
      for await (const resolved of read) {
        const e = resolved.event;
        if (!e) continue;
        out.push({
          eventId: e.id,
          streamId: e.streamId,
          revision: e.revision,
          commitPosition: e.position?.commit ?? 0n,
          type: e.type,
          data: e.data,
          metadata: e.metadata,
          created: e.created,
        });
      }
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
    }
    return out;
  }

  /** Commit position of the newest record, 0 for an empty log. */
  async head(): Promise<bigint> {
    // Read the (single-record) stream to its end: leaving a for-await early leaves the call open, and dispose() then waits on it.
    let head = 0n;
    for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      if (resolved.event) head = resolved.event.position.commit;
    }
    return head;
  }
}
