/**
 * Where each stream's events sit in the log: revision k of a stream is the
 * record at `indices[k]`. Records of an append are indexed as soon as the
 * append is accepted (so the next commit check sees them) but are visible to
 * readers only once committed (durable).
 */
export interface StreamEntry {
  readonly indices: number[];
  /** Log index of the tombstone record, when the stream was hard-deleted. */
  tombstone: number | undefined;
}

export class StreamIndex {
  private readonly streams = new Map<string, StreamEntry>();

  entry(streamId: string): StreamEntry | undefined {
    return this.streams.get(streamId);
  }

  entryOrCreate(streamId: string): StreamEntry {
    let e = this.streams.get(streamId);
    if (e === undefined) {
      e = { indices: [], tombstone: undefined };
      this.streams.set(streamId, e);
    }
    return e;
  }

  /** Number of events of the stream whose log index is below `committed`. */
  static visibleCount(e: StreamEntry, committed: number): number {
    let n = e.indices.length;
    while (n > 0 && (e.indices[n - 1] ?? 0) >= committed) n--;
    return n;
  }

  get size(): number {
    return this.streams.size;
  }
}
