import type { ConsumerStrategyName } from './group-settings.js';
import type { GroupMessage } from './group-message.js';

/** What a strategy needs to know about a connected consumer. */
export interface Consumer {
  readonly id: number;
  /** Messages the consumer can still take (its buffer size minus its in-flight count). */
  availableSlots(): number;
}

/**
 * Chooses the consumer for a message; undefined when the message must wait
 * (no free slot, or, for Pinned, its owner has none).
 */
export interface ConsumerStrategy {
  pick<C extends Consumer>(consumers: readonly C[], message: GroupMessage): C | undefined;
  /** Forget a consumer that left (Pinned hands its buckets to the others). */
  removed(consumer: Consumer): void;
}

/** Fill the first consumer (in connection order) before spilling to the next. */
function dispatchToSingle(): ConsumerStrategy {
  return {
    pick: <C extends Consumer>(consumers: readonly C[]): C | undefined => consumers.find((c) => c.availableSlots() > 0),
    removed: () => undefined,
  };
}

function roundRobin(): ConsumerStrategy {
  let next = 0;
  return {
    pick<C extends Consumer>(consumers: readonly C[]): C | undefined {
      for (let i = 0; i < consumers.length; i++) {
        const c = consumers[(next + i) % consumers.length];
        if (c && c.availableSlots() > 0) {
          next = (next + i + 1) % consumers.length;
          return c;
        }
      }
      return undefined;
    },
    removed: () => undefined,
  };
}

const bucketCount = 1024;

/** 32-bit FNV-1a, stable across restarts so a stream lands in the same bucket. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Pinned: events of one stream (or one correlation id) always go to the same
 * consumer while it is connected, so they are seen in order. A bucket is
 * owned by the consumer that got it first; new buckets go to the consumer
 * owning the fewest. When the owner has no free slot the message waits.
 */
function pinned(keyOf: (m: GroupMessage) => string): ConsumerStrategy {
  const owners = new Map<number, number>();
  const owned = new Map<number, number>();
  return {
    pick<C extends Consumer>(consumers: readonly C[], message: GroupMessage): C | undefined {
      if (consumers.length === 0) return undefined;
      const bucket = hash(keyOf(message)) % bucketCount;
      const ownerId = owners.get(bucket);
      const owner = consumers.find((c) => c.id === ownerId);
      if (owner) return owner.availableSlots() > 0 ? owner : undefined;
      let least = consumers[0];
      for (const c of consumers) if ((owned.get(c.id) ?? 0) < (owned.get(least?.id ?? -1) ?? 0)) least = c;
      if (!least) return undefined;
      owners.set(bucket, least.id);
      owned.set(least.id, (owned.get(least.id) ?? 0) + 1);
      return least.availableSlots() > 0 ? least : undefined;
    },
    removed(consumer) {
      for (const [bucket, id] of owners) if (id === consumer.id) owners.delete(bucket);
      owned.delete(consumer.id);
    },
  };
}

function streamKey(m: GroupMessage): string {
  return (m.event.event ?? m.event.link)?.streamId ?? '';
}

function correlationKey(m: GroupMessage): string {
  const e = m.event.event ?? m.event.link;
  if (!e) return '';
  try {
    const meta: unknown = JSON.parse(Buffer.from(e.metadata).toString('utf8'));
    if (meta && typeof meta === 'object' && '$correlationId' in meta && typeof meta.$correlationId === 'string') return meta.$correlationId;
  } catch {
    // Not JSON metadata: fall back to the stream, as the real strategy does.
  }
  return e.streamId;
}

export function createConsumerStrategy(name: ConsumerStrategyName): ConsumerStrategy {
  switch (name) {
    case 'DispatchToSingle':
      return dispatchToSingle();
    case 'RoundRobin':
      return roundRobin();
    case 'Pinned':
      return pinned(streamKey);
    case 'PinnedByCorrelation':
      return pinned(correlationKey);
  }
}
