/**
 * A tiny in-memory EventLog for the pure unit tests of the persistent
 * subscription engine (not a test file itself: no tier in its name). No
 * metadata, deletes or links: just enough of the contract in store/types.ts.
 */
import type { AppendResult, EventLog, ProposedEvent, ReadAllOptions, ReadAllResult, ReadStreamOptions, ReadStreamResult, RecordedEvent } from '../../src/esdb-server/store/types.js';

export class MemoryLog implements EventLog {
  readonly records: RecordedEvent[] = [];
  private readonly listeners = new Set<(records: readonly RecordedEvent[]) => void>();

  async append(streamId: string, events: readonly ProposedEvent[]): Promise<AppendResult> {
    const added: RecordedEvent[] = [];
    let revision = this.lastRevision(streamId) ?? -1n;
    for (const e of events) {
      revision++;
      const record: RecordedEvent = { ...e, streamId, revision, position: BigInt(this.records.length + 1), created: 0n };
      this.records.push(record);
      added.push(record);
    }
    for (const l of this.listeners) l(added);
    return { ok: true, nextRevision: revision, position: BigInt(this.records.length) };
  }

  private stream(streamId: string): RecordedEvent[] {
    return this.records.filter((r) => r.streamId === streamId);
  }

  readStream(streamId: string, opts: ReadStreamOptions): ReadStreamResult {
    const all = this.stream(streamId);
    if (all.length === 0) return { kind: 'not_found' };
    const last = BigInt(all.length - 1);
    const picked =
      opts.direction === 'forwards'
        ? all.filter((r) => r.revision >= (opts.from === 'start' ? 0n : opts.from === 'end' ? last + 1n : opts.from))
        : all.filter((r) => r.revision <= (opts.from === 'end' ? last : opts.from === 'start' ? 0n : opts.from)).reverse();
    const events = picked.slice(0, Number(opts.maxCount)).map((event) => ({ event, link: undefined, commitPosition: event.position }));
    return { kind: 'ok', events, lastRevision: last };
  }

  readAll(opts: ReadAllOptions): ReadAllResult {
    const matches = (r: RecordedEvent): boolean => opts.filter === undefined || opts.filter(r);
    if (opts.direction === 'backwards') {
      const events = [...this.records].reverse().filter(matches).slice(0, opts.maxCount);
      return { events: events.map((event) => ({ event, link: undefined, commitPosition: event.position })), nextPosition: 0n, endOfLog: true };
    }
    const from = opts.from === 'start' ? 1n : opts.from === 'end' ? BigInt(this.records.length + 1) : opts.from;
    const events = this.records.filter((r) => r.position >= from && matches(r)).slice(0, opts.maxCount);
    const last = events[events.length - 1];
    const endOfLog = events.length < opts.maxCount;
    const nextPosition = endOfLog ? BigInt(this.records.length + 1) : (last?.position ?? from) + 1n;
    return { events: events.map((event) => ({ event, link: undefined, commitPosition: event.position })), nextPosition, endOfLog };
  }

  lastRevision(streamId: string): bigint | undefined {
    const n = this.stream(streamId).length;
    return n === 0 ? undefined : BigInt(n - 1);
  }

  headPosition(): bigint {
    return BigInt(this.records.length);
  }

  onCommitted(listener: (records: readonly RecordedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
