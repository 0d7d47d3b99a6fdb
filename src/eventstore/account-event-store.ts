import {
  DeadlineExceededError,
  NO_STREAM,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type CurrentRevision,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { plainEventDecoder, RevisionConflict, type EventDecoder } from '../domain/index.js';
import { DeadlineExceeded, StoreUnavailable, type AccountEventStore, type Appended, type NewEvent, type StoredEvent } from '../app/index.js';
import { fromResolved, toEventData } from './account-event-serde.js';
import { appendEvents } from './batch-appender.js';
import { readStreamForwards } from './stream-reader.js';

/**
 * Account streams on EventStoreDB. The client's errors stop here: a wrong
 * expected version becomes RevisionConflict, a missing stream an empty read,
 * an unreachable server StoreUnavailable, a timed-out call DeadlineExceeded.
 * Events are read through the decoding pipeline every reader shares
 * (upcasters and the deployed repairs; issue 14).
 */
export class EsdbAccountEventStore implements AccountEventStore {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly decoder: EventDecoder = plainEventDecoder,
  ) {}

  async readStream(stream: string, fromRevision: bigint): Promise<StoredEvent[]> {
    return (await this.readPage(stream, fromRevision, Number.MAX_SAFE_INTEGER)).events;
  }

  /**
   * Page by page: a page is read to the end of its answer, never cancelled
   * midway (a cancelled read kept the server's stream open and the client
   * from closing), so a reader that stops early just asks for no more.
   */
  async *readEvents(stream: string, fromRevision: bigint): AsyncGenerator<StoredEvent> {
    for (let from = fromRevision; ;) {
      const page = await this.readPage(stream, from, READ_PAGE);
      yield* page.events;
      if (page.records < READ_PAGE) return;
      from = page.next;
    }
  }

  /** Up to maxCount records from a revision: the events among them, how many records, the revision after the last. */
  private async readPage(stream: string, fromRevision: bigint, maxCount: number): Promise<{ events: StoredEvent[]; records: number; next: bigint }> {
    const page = { events: [] as StoredEvent[], records: 0, next: fromRevision };
    try {
      for (const resolved of await readStreamForwards(this.client, stream, fromRevision, BigInt(maxCount))) {
        page.records += 1;
        const revision = resolved.event?.revision ?? resolved.link?.revision;
        if (revision !== undefined) page.next = revision + 1n;
        const stored = fromResolved(resolved, this.decoder);
        if (stored) page.events.push(stored);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return { ...page, records: 0 };
      throw translate(e);
    }
    return page;
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expectedRevision: bigint): Promise<Appended> {
    try {
      const result = await appendEvents(
        this.client,
        stream,
        events.map((e, i) => toEventData(stream, e, i)),
        { expectedRevision: toExpected(expectedRevision) },
      );
      return { revision: result.nextExpectedRevision, position: result.position?.commit ?? 0n };
    } catch (e) {
      if (e instanceof WrongExpectedVersionError) {
        throw new RevisionConflict(expectedRevision, fromCurrent(e.actualVersion));
      }
      throw translate(e);
    }
  }
}

/** Events per read of readEvents: what a fold of a long stream holds at once. */
const READ_PAGE = 500;

/** -1n is our "no stream"; every other revision is exact. */
const toExpected = (revision: bigint): AppendExpectedRevision => (revision < 0n ? NO_STREAM : revision);
const fromCurrent = (actual: CurrentRevision): bigint => (actual === NO_STREAM ? -1n : actual);

function translate(e: unknown): unknown {
  if (e instanceof UnavailableError) return new StoreUnavailable(e.message);
  // The client's own deadline (10 s by default): whether the append landed is unknown, and the
  // cache stays at the old revision, so the next command conflicts and catches up.
  if (e instanceof DeadlineExceededError) return new DeadlineExceeded();
  return e;
}
