import { RevisionConflict } from '../../src/domain/index.js';
import type { AccountEventStore, Appended, NewEvent, StoredEvent } from '../../src/app/index.js';

/** A test double for pure handler tests; the real adapter is tested against the embedded server. */
export class InMemoryEventStore implements AccountEventStore {
  readonly streams = new Map<string, StoredEvent[]>();
  reads = 0;
  appends = 0;
  conflicts = 0;
  private position = 0n;

  async readStream(stream: string, fromRevision: bigint): Promise<StoredEvent[]> {
    this.reads += 1;
    await Promise.resolve();
    return (this.streams.get(stream) ?? []).filter((e) => e.revision >= fromRevision);
  }

  async *readEvents(stream: string, fromRevision: bigint): AsyncGenerator<StoredEvent> {
    yield* await this.readStream(stream, fromRevision);
  }

  async appendToStream(stream: string, events: readonly NewEvent[], expectedRevision: bigint): Promise<Appended> {
    await Promise.resolve();
    const existing = this.streams.get(stream) ?? [];
    const actual = BigInt(existing.length) - 1n;
    if (actual !== expectedRevision) {
      this.conflicts += 1;
      throw new RevisionConflict(expectedRevision, actual);
    }
    this.appends += 1;
    for (const { event, metadata } of events) {
      this.position += 100n;
      existing.push({
        event,
        metadata,
        eventId: `${metadata.commandId}-${existing.length}`,
        revision: BigInt(existing.length),
        position: this.position,
        created: new Date(),
      });
    }
    this.streams.set(stream, existing);
    const last = existing.at(-1);
    return { revision: last?.revision ?? -1n, position: last?.position ?? 0n };
  }
}
