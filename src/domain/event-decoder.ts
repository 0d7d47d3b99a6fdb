import type { EncodedEvent } from './encoded-event.js';
import { decodeEvent } from './event-codec.js';
import type { EventRepair } from './event-repairs.js';
import { accountEventUpcasters, upcastEventData, upcasterName, type EventUpcaster } from './event-upcasters.js';
import type { AccountEvent } from './events.js';
import type { TransferEvent } from './transfer.js';
import { decodeTransferEvent } from './transfer-codec.js';

/**
 * The one way a stored event becomes a domain event, shared by every reader
 * (issue 14): upcasters (schema_version n -> n+1, chained), then the
 * deployed repairs in order, then validation. Returns undefined for a type
 * this domain does not know (or one a repair says to ignore); throws
 * MalformedEvent when the event is still bad.
 */
export type EventDecoder = {
  readonly decode: (event: EncodedEvent) => AccountEvent | undefined;
  /** The same pipeline (upcasters, repairs) ending in the transfer streams' validation (issue 15). */
  readonly decodeTransfer: (event: EncodedEvent) => TransferEvent | undefined;
  /** What it applies, for logs and `ledger-admin list`. */
  readonly repairs: readonly string[];
  readonly upcasters: readonly string[];
};

export type EventDecoderParts = {
  /** Default: the ones Ledger ships (event-upcasters.ts). */
  readonly upcasters?: readonly EventUpcaster[];
  readonly repairs?: readonly EventRepair[];
};

export function eventDecoder(parts: EventDecoderParts = {}): EventDecoder {
  const upcasters = parts.upcasters ?? accountEventUpcasters;
  const repairs = parts.repairs ?? [];
  /** Upcasters then repairs; undefined when a repair says to ignore the event. */
  const prepare = (stored: EncodedEvent): EncodedEvent | undefined => {
    const upcast = upcastEventData(upcasters, stored.type, schemaVersionOf(stored.metadata), stored.data);
    let event: EncodedEvent = upcast.data === stored.data ? stored : { ...stored, data: upcast.data };
    for (const r of repairs) {
      const repaired = r.repair(event);
      if ('ignore' in repaired) return undefined;
      event = repaired;
    }
    return event;
  };
  return {
    repairs: repairs.map((r) => r.name),
    upcasters: upcasters.map(upcasterName),
    decode: (stored) => {
      const event = prepare(stored);
      return event === undefined ? undefined : decodeEvent(event.type, event.data);
    },
    decodeTransfer: (stored) => {
      const event = prepare(stored);
      return event === undefined ? undefined : decodeTransferEvent(event.type, event.data);
    },
  };
}

/** Upcasters only, no repairs: what a reader uses when nothing is deployed. */
export const plainEventDecoder: EventDecoder = eventDecoder();

function schemaVersionOf(metadata: unknown): number | undefined {
  if (typeof metadata !== 'object' || metadata === null || !('schema_version' in metadata)) return undefined;
  const v = metadata.schema_version;
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}
