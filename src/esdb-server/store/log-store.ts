import { randomUUID } from 'node:crypto';
import type {
  AppendResult,
  ExpectedRevision,
  ProposedEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  ReadStreamResult,
  RecordedEvent,
  ResolvedEvent,
} from './types.js';
import { MAX_GROUP_BYTES, MAX_GROUPS_IN_FLIGHT, type DeleteResult, type Journal, type StreamStore } from './stream-store.js';
import { checkCommit, type StreamView } from './commit-check.js';
import { AppendedRecord } from './appended-record.js';
import { RecentEventIds } from './recent-event-ids.js';
import { StreamIndex, type StreamEntry } from './stream-index.js';
import {
  DELETED_STREAM,
  NO_METADATA,
  isMetastream,
  isSoftDeleted,
  metastreamOf,
  originalStreamOf,
  parseStreamMetadata,
  withTruncateBefore,
  type StreamMetadata,
} from './stream-metadata.js';
import { BY_CATEGORY, BY_EVENT_TYPE, LINK_EVENT_TYPE, LinkStreams, ProjectedLink, parseLink, type LinkKind } from './system-projections.js';

export interface LogStoreOptions {
  /** Durable sink; omitted for a memory-only store. */
  readonly journal?: Journal;
  /** Write `$ce-` / `$et-` link events (the standard projections); default false, as on the real server. */
  readonly systemProjections?: boolean;
  /** Clock in 100 ns ticks since the Unix epoch. */
  readonly now?: () => bigint;
}

const TICKS_PER_MS = 10_000n;

/** About what a record takes in the log (a group's size limit needs no more precision). */
const approximateSize = (r: RecordedEvent): number =>
  r instanceof ProjectedLink ? 26 : 60 + 3 * (r.streamId.length + r.type.length) + r.data.length + r.metadata.length;

/**
 * `created` in 100 ns ticks, as precise as the real server's: the wall clock
 * read once, advanced by the monotonic clock (so it never runs backwards
 * within a process either).
 */
const tickClock = (): (() => bigint) => {
  const base = BigInt(Date.now()) * TICKS_PER_MS - process.hrtime.bigint() / 100n;
  return () => base + process.hrtime.bigint() / 100n;
};
const RECENT_IDS = 100_000;
const TICKS_PER_SECOND = 10_000_000n;
const METADATA_EVENT_TYPE = '$metadata';
const TOMBSTONE_EVENT_TYPE = '$streamDeleted';
const JSON_TYPE = 'application/json';
const EMPTY = new Uint8Array(0);

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
  /** Length of `pending`, and its approximate bytes, once this waiter's records were queued. */
  end: number;
  bytes: number;
}

/** One group commit: its records, who waits for them, and whether they are on disk yet. */
interface Group {
  readonly batch: RecordedEvent[];
  readonly waiters: Waiter[];
  durable: boolean;
}

/**
 * A stream as the commit check sees it. A class rather than an object with
 * an arrow function: one is made per append, and under tsx (esbuild's
 * keepNames) each such arrow also got its name defined with defineProperty.
 */
class LogStreamView implements StreamView {
  readonly lastRevision: bigint;
  constructor(
    private readonly records: readonly RecordedEvent[],
    private readonly entry: StreamEntry | undefined,
    private readonly count: number,
    readonly tombstoned: boolean,
    readonly softDeleted: boolean,
  ) {
    this.lastRevision = BigInt(count - 1);
  }

  eventIdAt(revision: bigint): string | undefined {
    if (revision < 0n || revision >= BigInt(this.count)) return undefined;
    return this.records[this.entry?.indices[Number(revision)] ?? -1]?.eventId;
  }
}

/**
 * The storage engine: one log of records (position = log index + 1), a
 * per-stream index over it, and group commit through an optional journal.
 */
export class LogStore implements StreamStore {
  private readonly records: RecordedEvent[] = [];
  private committed = 0;
  private readonly index = new StreamIndex();
  private readonly recent = new RecentEventIds(RECENT_IDS, (index) => this.records[index] as RecordedEvent);
  private readonly metaCache = new Map<string, { at: number; meta: StreamMetadata }>();
  private readonly listeners = new Set<(records: readonly RecordedEvent[]) => void>();
  private pending: RecordedEvent[] = [];
  private pendingBytes = 0;
  private waiters: Waiter[] = [];
  private flushQueued = false;
  private inFlight: Group[] = [];
  private failure: Error | undefined;
  private closed = false;
  private journal: Journal | undefined;
  private readonly projections: boolean;
  private readonly linkStreams = new LinkStreams();
  private readonly now: () => bigint;

  constructor(opts: LogStoreOptions = {}) {
    this.journal = opts.journal;
    this.projections = opts.systemProjections ?? false;
    this.now = opts.now ?? tickClock();
  }

  /** Adds a record read back from the journal at start-up (already durable). */
  restore(record: RecordedEvent): void {
    this.index_(record, false);
    this.committed = this.records.length;
  }

  /** A record restored so far, by position (a recovered link's target). */
  restoredAt(position: number): RecordedEvent | undefined {
    return position >= 1 && position <= this.records.length ? this.records[position - 1] : undefined;
  }

  /** The journal for appends from now on: set once after recovery, before the first append. */
  withJournal(journal: Journal): this {
    this.journal = journal;
    return this;
  }

  /** After the last restore: the newest event ids go into the idempotency cache. */
  restored(): void {
    for (let i = Math.max(0, this.records.length - RECENT_IDS); i < this.records.length; i++) {
      const r = this.records[i] as RecordedEvent;
      if (r.type !== TOMBSTONE_EVENT_TYPE && r.type !== LINK_EVENT_TYPE) this.recent.remember(r.eventId, i);
    }
  }

  async append(streamId: string, events: readonly ProposedEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertWritable();
    const view = this.view(streamId, this.records.length);
    const decision = checkCommit(streamId, view, expected, events.map((e) => e.eventId), this.recent.lookup);
    switch (decision.kind) {
      case 'stream_deleted':
        return { ok: false, reason: 'stream_deleted' };
      case 'wrong_expected_version':
        return { ok: false, reason: 'wrong_expected_version', actual: view.lastRevision < 0n ? undefined : view.lastRevision };
      case 'idempotent': {
        const idx = this.index.entry(streamId)?.indices[Number(decision.lastRevision)] ?? 0;
        await this.untilCommitted(idx + 1);
        return { ok: true, nextRevision: decision.lastRevision, position: BigInt(idx + 1) };
      }
      case 'ok':
        break;
    }
    if (events.length === 0) {
      return { ok: true, nextRevision: view.lastRevision, position: BigInt(this.records.length) };
    }
    const created = this.now();
    const written: RecordedEvent[] = [];
    for (const e of events) written.push(this.add(streamId, e, created));
    const last = written[written.length - 1] as RecordedEvent;
    if (view.softDeleted) written.push(this.softUndelete(streamId, view.lastRevision + 1n, created));
    if (isMetastream(streamId)) {
      const original = originalStreamOf(streamId);
      const before = this.view(original, this.records.length - written.length);
      if (before.softDeleted && !before.tombstoned) {
        written.push(this.softUndelete(original, this.view(original, this.records.length).lastRevision + 1n, created));
      }
    }
    if (this.projections && !streamId.startsWith('$')) {
      // The projections' links are the server's own: no client retries them, so they stay out of the idempotency cache.
      const category = this.linkStreams.category(streamId);
      for (let i = 0; i < events.length; i++) {
        const target = written[i] as RecordedEvent;
        if (category !== undefined) written.push(this.addLink(category, BY_CATEGORY, target));
        written.push(this.addLink(this.linkStreams.eventType(target.type), BY_EVENT_TYPE, target));
      }
    }
    await this.enqueue(written);
    return { ok: true, nextRevision: last.revision, position: last.position };
  }

  async deleteStream(streamId: string, expected: ExpectedRevision, hard: boolean): Promise<DeleteResult> {
    this.assertWritable();
    const view = this.view(streamId, this.records.length);
    if (view.tombstoned) return { ok: false, reason: 'stream_deleted' };
    const mismatch =
      (expected.kind === 'no_stream' && view.lastRevision >= 0n) ||
      (expected.kind === 'stream_exists' && view.lastRevision < 0n) ||
      (expected.kind === 'exact' && expected.revision !== view.lastRevision);
    if (mismatch) {
      return { ok: false, reason: 'wrong_expected_version', actual: view.lastRevision < 0n ? undefined : view.lastRevision };
    }
    // The real server does not soft-delete a stream that never existed (no events, no metadata):
    // it answers wrong expected version, current version -1, even for expected any or no_stream.
    if (!hard && view.lastRevision < 0n && (this.index.entry(metastreamOf(streamId))?.indices.length ?? 0) === 0) {
      return { ok: false, reason: 'wrong_expected_version', actual: -1n };
    }
    const created = this.now();
    const record = hard
      ? this.addTombstone(streamId, created)
      : this.add(
          metastreamOf(streamId),
          this.metadataEvent(withTruncateBefore(this.metadataAt(streamId, this.records.length), DELETED_STREAM)),
          created,
        );
    await this.enqueue([record]);
    return { ok: true, position: record.position };
  }

  readStream(streamId: string, opts: ReadStreamOptions): ReadStreamResult {
    const entry = this.index.entry(streamId);
    if (entry?.tombstone !== undefined && entry.tombstone < this.committed) return { kind: 'deleted' };
    // Once a stream is tombstoned, the real server treats its metadata stream as deleted too.
    if (isMetastream(streamId) && this.isTombstoned(originalStreamOf(streamId))) return { kind: 'deleted' };
    const count = entry === undefined ? 0 : StreamIndex.visibleCount(entry, this.committed);
    const meta = this.metadataOf(streamId);
    if (entry === undefined || count === 0 || isSoftDeleted(meta)) return { kind: 'not_found' };
    const lastRevision = BigInt(count - 1);
    const first = this.firstVisibleRevision(streamId, meta, lastRevision);
    const events: ResolvedEvent[] = [];
    const oldest = meta.maxAgeSeconds === undefined ? undefined : this.now() - BigInt(Math.floor(meta.maxAgeSeconds)) * TICKS_PER_SECOND;
    const take = (rev: bigint): void => {
      const r = this.records[entry.indices[Number(rev)] ?? -1];
      if (r === undefined || (oldest !== undefined && r.created < oldest)) return;
      events.push(this.resolve(r, opts.resolveLinks));
    };
    if (opts.direction === 'forwards') {
      let rev = opts.from === 'start' ? first : opts.from === 'end' ? lastRevision + 1n : opts.from < first ? first : opts.from;
      for (; rev <= lastRevision && BigInt(events.length) < opts.maxCount; rev++) take(rev);
    } else {
      let rev = opts.from === 'start' ? 0n : opts.from === 'end' ? lastRevision : opts.from > lastRevision ? lastRevision : opts.from;
      for (; rev >= first && BigInt(events.length) < opts.maxCount; rev--) take(rev);
    }
    return { kind: 'ok', events, lastRevision };
  }

  readAll(opts: ReadAllOptions): ReadAllResult {
    const events: ResolvedEvent[] = [];
    const end = this.committed;
    if (opts.direction === 'forwards') {
      let i = opts.from === 'start' ? 0 : opts.from === 'end' ? end : Math.max(0, Number(opts.from) - 1);
      for (; i < end && events.length < opts.maxCount; i++) {
        const r = this.records[i] as RecordedEvent;
        if (opts.filter === undefined || opts.filter(r)) events.push(this.resolve(r, opts.resolveLinks));
      }
      return { events, nextPosition: BigInt(i + 1), endOfLog: i >= end };
    }
    let i = opts.from === 'start' ? -1 : opts.from === 'end' ? end - 1 : Math.min(end, Number(opts.from) - 1) - 1;
    for (; i >= 0 && events.length < opts.maxCount; i--) {
      const r = this.records[i] as RecordedEvent;
      if (opts.filter === undefined || opts.filter(r)) events.push(this.resolve(r, opts.resolveLinks));
    }
    return { events, nextPosition: BigInt(i + 2), endOfLog: i < 0 };
  }

  lastRevision(streamId: string): bigint | undefined {
    const entry = this.index.entry(streamId);
    if (entry === undefined || (entry.tombstone !== undefined && entry.tombstone < this.committed)) return undefined;
    const n = StreamIndex.visibleCount(entry, this.committed);
    return n === 0 ? undefined : BigInt(n - 1);
  }

  headPosition(): bigint {
    return BigInt(this.committed);
  }

  recordAt(position: bigint): RecordedEvent | undefined {
    return position >= 1n && position <= BigInt(this.committed) ? this.records[Number(position) - 1] : undefined;
  }

  isTombstoned(streamId: string): boolean {
    const t = this.index.entry(streamId)?.tombstone;
    return t !== undefined && t < this.committed;
  }

  metadataOf(streamId: string): StreamMetadata {
    return this.metadataAt(streamId, this.committed);
  }

  onCommitted(listener: (records: readonly RecordedEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.untilCommitted(this.records.length).catch(() => undefined);
    await this.journal?.close();
  }

  // ---- internals ----

  private assertWritable(): void {
    if (this.closed) throw new Error('event log is closed');
    if (this.failure !== undefined) throw this.failure;
  }

  private view(streamId: string, upTo: number): StreamView {
    const entry = this.index.entry(streamId);
    const count = entry === undefined ? 0 : StreamIndex.visibleCount(entry, upTo);
    const originalTombstone = isMetastream(streamId) ? this.index.entry(originalStreamOf(streamId))?.tombstone : undefined;
    return new LogStreamView(
      this.records,
      entry,
      count,
      (entry?.tombstone !== undefined && entry.tombstone < upTo) || (originalTombstone !== undefined && originalTombstone < upTo),
      isSoftDeleted(this.metadataAt(streamId, upTo)),
    );
  }

  private metadataAt(streamId: string, upTo: number): StreamMetadata {
    if (isMetastream(streamId)) return { ...NO_METADATA, maxCount: 1n };
    const entry = this.index.entry(metastreamOf(streamId));
    if (entry === undefined) return NO_METADATA;
    const n = StreamIndex.visibleCount(entry, upTo);
    const at = entry.indices[n - 1];
    if (at === undefined) return NO_METADATA;
    const cached = this.metaCache.get(streamId);
    if (cached?.at === at) return cached.meta;
    const meta = parseStreamMetadata((this.records[at] as RecordedEvent).data);
    this.metaCache.set(streamId, { at, meta });
    return meta;
  }

  private firstVisibleRevision(_streamId: string, meta: StreamMetadata, lastRevision: bigint): bigint {
    let first = meta.truncateBefore ?? 0n;
    if (meta.maxCount !== undefined && lastRevision + 1n - meta.maxCount > first) first = lastRevision + 1n - meta.maxCount;
    return first;
  }

  resolve(r: RecordedEvent, resolveLinks: boolean): ResolvedEvent {
    if (!resolveLinks || r.type !== LINK_EVENT_TYPE) return { event: r, link: undefined, commitPosition: r.position };
    const target = r instanceof ProjectedLink ? r.target : parseLink(r.data);
    if (target === undefined) return { event: r, link: undefined, commitPosition: r.position };
    const read = this.readStream(target.streamId, { direction: 'forwards', from: target.revision, maxCount: 1n, resolveLinks: false });
    const event = read.kind === 'ok' && read.events[0]?.event?.revision === target.revision ? read.events[0].event : undefined;
    return { event, link: r, commitPosition: r.position };
  }

  private metadataEvent(data: Uint8Array): ProposedEvent {
    return { eventId: randomUUID(), type: METADATA_EVENT_TYPE, contentType: JSON_TYPE, data, metadata: EMPTY };
  }

  private softUndelete(streamId: string, recreateFrom: bigint, created: bigint): RecordedEvent {
    const meta = this.metadataAt(streamId, this.records.length);
    return this.add(metastreamOf(streamId), this.metadataEvent(withTruncateBefore(meta, recreateFrom)), created);
  }

  private add(streamId: string, e: ProposedEvent, created: bigint, remember = true): RecordedEvent {
    const entry = this.index.entryOrCreate(streamId);
    const record = new AppendedRecord(streamId, entry.indices.length, this.records.length + 1, e.eventId, e.type, e.contentType, e.data, e.metadata, created);
    this.index_(record, remember, entry);
    return record;
  }

  private addLink(streamId: string, kind: LinkKind, target: RecordedEvent): RecordedEvent {
    const entry = this.index.entryOrCreate(streamId);
    const record = new ProjectedLink(streamId, kind, entry.indices.length, this.records.length + 1, target);
    this.index_(record, false, entry);
    return record;
  }

  private addTombstone(streamId: string, created: bigint): RecordedEvent {
    const record: RecordedEvent = {
      streamId,
      revision: DELETED_STREAM,
      position: BigInt(this.records.length + 1),
      eventId: randomUUID(),
      type: TOMBSTONE_EVENT_TYPE,
      contentType: 'application/octet-stream',
      data: EMPTY,
      metadata: EMPTY,
      created,
    };
    this.index_(record);
    return record;
  }

  /** Puts a record in the log and the stream index (not yet committed). */
  private index_(record: RecordedEvent, remember = true, entry: StreamEntry = this.index.entryOrCreate(record.streamId)): void {
    const i = this.records.length;
    this.records.push(record);
    if (record.type === TOMBSTONE_EVENT_TYPE && record.revision === DELETED_STREAM) {
      entry.tombstone = i;
      return;
    }
    entry.indices.push(i);
    // The record itself answers the cache's question (its stream and revision): no second object per event.
    if (remember) this.recent.remember(record.eventId, i);
  }

  private enqueue(records: readonly RecordedEvent[]): Promise<void> {
    this.pending.push(...records);
    for (const r of records) this.pendingBytes += approximateSize(r);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject, end: this.pending.length, bytes: this.pendingBytes });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After the I/O callbacks of this loop turn: every append that arrived
    // in the same network read joins the batch instead of going alone.
    setImmediate(() => this.flush());
  }

  /** Waits until the log index `upTo` (exclusive) is committed. */
  private async untilCommitted(upTo: number): Promise<void> {
    if (this.committed >= upTo) return;
    await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject, end: this.pending.length, bytes: this.pendingBytes }));
    return this.untilCommitted(upTo);
  }

  private notify(batch: readonly RecordedEvent[]): void {
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch {
        // A failing subscriber must not stop the commit of everyone else's appends.
      }
    }
  }

  // Group commit: the appends of a loop turn share one write and one fsync,
  // and up to MAX_GROUPS_IN_FLIGHT groups are on their way to disk at once
  // (the journal keeps their writes in order; their fsyncs overlap), so an
  // append waits for about one fsync rather than for the one in flight and
  // then its own. Groups commit (become readable, are acknowledged) in log order.
  private flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0 && this.waiters.length === 0) return;
    if (this.failure !== undefined) return this.rejectAll(this.failure);
    if (this.inFlight.length >= MAX_GROUPS_IN_FLIGHT) return; // the next group to finish flushes again
    const group = this.takeGroup();
    if (this.waiters.length > 0) this.scheduleFlush(); // what did not fit goes in the next group
    this.inFlight.push(group);
    const written = this.journal !== undefined && group.batch.length > 0 ? this.journal.write(group.batch) : Promise.resolve();
    written.then(
      () => {
        group.durable = true;
        this.commitDurable();
        if (this.pending.length > 0 || this.waiters.length > 0) this.scheduleFlush();
      },
      (e: unknown) => {
        this.failure ??= e instanceof Error ? e : new Error(String(e));
        this.rejectAll(this.failure);
      },
    );
  }

  /** The next group: everything pending, or as many whole appends as fit MAX_GROUP_BYTES (at least one). */
  private takeGroup(): Group {
    if (this.pendingBytes <= MAX_GROUP_BYTES) {
      const group: Group = { batch: this.pending, waiters: this.waiters, durable: false };
      this.pending = [];
      this.waiters = [];
      this.pendingBytes = 0;
      return group;
    }
    let n = 1;
    while (n < this.waiters.length && (this.waiters[n] as Waiter).bytes <= MAX_GROUP_BYTES) n++;
    const last = this.waiters[n - 1] as Waiter;
    const group: Group = { batch: this.pending.slice(0, last.end), waiters: this.waiters.slice(0, n), durable: false };
    this.pending = this.pending.slice(last.end);
    this.waiters = this.waiters.slice(n);
    this.pendingBytes -= last.bytes;
    for (const w of this.waiters) {
      w.end -= last.end;
      w.bytes -= last.bytes;
    }
    return group;
  }

  private commitDurable(): void {
    while (this.inFlight[0]?.durable === true) {
      const { batch, waiters } = this.inFlight.shift() as Group;
      const last = batch[batch.length - 1];
      if (last !== undefined) this.committed = Number(last.position);
      if (batch.length > 0) this.notify(batch);
      for (const w of waiters) w.resolve();
    }
  }

  /** After a failed write nothing later may be acknowledged: the log may have a hole. */
  private rejectAll(failure: Error): void {
    const groups = this.inFlight.splice(0);
    for (const w of [...groups.flatMap((g) => g.waiters), ...this.waiters]) w.reject(failure);
    this.waiters = [];
    this.pending = [];
    this.pendingBytes = 0;
  }
}
