import {
  DeadlineExceededError,
  FORWARDS,
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
    const out: StoredEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { fromRevision, direction: FORWARDS })) {
        const stored = fromResolved(resolved, this.decoder);
        if (stored) out.push(stored);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw translate(e);
    }
    return out;
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expectedRevision: bigint): Promise<Appended> {
    try {
      const result = await this.client.appendToStream(
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
