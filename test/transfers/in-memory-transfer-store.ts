import { RevisionConflict, type TransferEvent } from '../../src/domain/index.js';
import type { StoredTransferEvent, TransferEventStore } from '../../src/app/index.js';

/** A test double for the transfer streams; the real adapter runs against the embedded server. */
export class InMemoryTransferStore implements TransferEventStore {
  readonly streams = new Map<string, StoredTransferEvent[]>();

  async read(transferId: string): Promise<StoredTransferEvent[]> {
    await Promise.resolve();
    return [...(this.streams.get(transferId) ?? [])];
  }

  async append(transferId: string, events: readonly TransferEvent[], expectedRevision: bigint, occurredAt: string): Promise<void> {
    await Promise.resolve();
    const existing = this.streams.get(transferId) ?? [];
    const actual = BigInt(existing.length) - 1n;
    if (actual !== expectedRevision) throw new RevisionConflict(expectedRevision, actual);
    for (const event of events) existing.push({ event, revision: BigInt(existing.length), occurredAt: new Date(occurredAt) });
    this.streams.set(transferId, existing);
  }
}
