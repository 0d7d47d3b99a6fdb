import {
  NO_STREAM,
  StreamNotFoundError,
  UnavailableError,
  WrongExpectedVersionError,
  jsonEvent,
  type EventStoreDBClient,
  type RecordedEvent,
} from '@eventstore/db-client';
import {
  EVENT_SCHEMA_VERSION,
  RevisionConflict,
  encodeTransferEventData,
  plainEventDecoder,
  transferStream,
  type EventDecoder,
  type TransferEvent,
} from '../domain/index.js';
import { appendEvents } from './batch-appender.js';
import { readStreamForwards } from './stream-reader.js';
import { StoreUnavailable, transferEventId, type StoredTransferEvent, type TransferEventStore } from '../app/index.js';

/**
 * Transfer streams on EventStoreDB (issue 15). Reads go through the shared
 * decoding pipeline (decodeTransfer); a malformed event throws
 * MalformedEvent (the transfer cannot be read until it is repaired).
 */
export class EsdbTransferEventStore implements TransferEventStore {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly decoder: EventDecoder = plainEventDecoder,
  ) {}

  async read(transferId: string): Promise<StoredTransferEvent[]> {
    const out: StoredTransferEvent[] = [];
    try {
      for (const resolved of await readStreamForwards(this.client, transferStream(transferId), 0n, BigInt(Number.MAX_SAFE_INTEGER))) {
        const stored = resolved.event ? storedTransferEventOf(resolved.event, this.decoder) : undefined;
        if (stored !== undefined) out.push(stored);
      }
    } catch (err) {
      if (err instanceof StreamNotFoundError) return [];
      if (err instanceof UnavailableError) throw new StoreUnavailable(err.message);
      throw err;
    }
    return out;
  }

  async append(transferId: string, events: readonly TransferEvent[], expectedRevision: bigint, occurredAt: string): Promise<void> {
    const data = events.map((event) =>
      jsonEvent({
        id: transferEventId(transferId, event.type),
        type: event.type,
        data: encodeTransferEventData(event),
        metadata: { occurred_at: occurredAt, correlation_id: transferId, causation_id: transferId, schema_version: EVENT_SCHEMA_VERSION },
      }),
    );
    try {
      await appendEvents(this.client, transferStream(transferId), data, { expectedRevision: expectedRevision < 0n ? NO_STREAM : expectedRevision });
    } catch (err) {
      if (err instanceof WrongExpectedVersionError) throw new RevisionConflict(expectedRevision, typeof err.actualVersion === 'bigint' ? err.actualVersion : -1n);
      if (err instanceof UnavailableError) throw new StoreUnavailable(err.message);
      throw err;
    }
  }
}

/** A recorded event of a transfer stream through the shared decoding pipeline; undefined when not JSON. */
export function storedTransferEventOf(e: RecordedEvent, decoder: EventDecoder): StoredTransferEvent | undefined {
  if (!e.isJson) return undefined;
  const event = decoder.decodeTransfer({ eventId: e.id, streamId: e.streamId, revision: e.revision, type: e.type, data: e.data, metadata: e.metadata });
  return { event, revision: e.revision, occurredAt: occurredAtOf(e.metadata) ?? e.created };
}

function occurredAtOf(metadata: unknown): Date | undefined {
  if (typeof metadata !== 'object' || metadata === null || !('occurred_at' in metadata) || typeof metadata.occurred_at !== 'string') return undefined;
  const at = new Date(metadata.occurred_at);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
