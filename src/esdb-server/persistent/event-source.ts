import type { EventLog, RecordedEvent, ResolvedEvent } from '../store/types.js';

/** A `$all` filter as the real server stores it in its config (EventFilter.ParseToDto). */
export interface FilterSpec {
  readonly context: 'streamid' | 'eventtype';
  readonly type: 'prefix' | 'regex';
  /** Prefixes, or a single regex. */
  readonly data: readonly string[];
}

export type EventSource =
  | { readonly kind: 'stream'; readonly streamId: string }
  | { readonly kind: 'all'; readonly filter: FilterSpec | undefined };

export const allStream = '$all';

export function sourceName(source: EventSource): string {
  return source.kind === 'stream' ? source.streamId : allStream;
}

/**
 * A `$all` group never sees the checkpoints and parked messages of `$all`
 * groups (it would feed on its own output); everything else is allowed,
 * system streams included, as DefaultAllFilterStrategy does.
 */
function allowedInAll(e: RecordedEvent): boolean {
  if (!e.streamId.startsWith('$')) return true;
  const ownOutput = e.streamId.startsWith('$persistentsubscription-$all::');
  return !(ownOutput && (e.streamId.endsWith('-checkpoint') || e.streamId.endsWith('-parked')));
}

export function allFilter(spec: FilterSpec | undefined): (e: RecordedEvent) => boolean {
  if (!spec) return allowedInAll;
  const field = (e: RecordedEvent): string => (spec.context === 'streamid' ? e.streamId : e.type);
  if (spec.type === 'regex') {
    const re = new RegExp(spec.data[0] ?? '');
    return (e) => allowedInAll(e) && re.test(field(e));
  }
  const prefixes = spec.data;
  return (e) => allowedInAll(e) && prefixes.some((p) => field(e).startsWith(p));
}

/** Where the group reads next. For a stream: a revision; for `$all`: a log position. */
export interface ReadCursor {
  readonly from: bigint | 'start';
  /** Records at or before this (revision or position) were already handed out. */
  readonly skipUpTo: bigint;
}

export interface SourceItem {
  readonly event: ResolvedEvent;
  /** The value a checkpoint records for this event: stream revision or commit position. */
  readonly checkpoint: bigint;
}

export interface SourceBatch {
  readonly items: SourceItem[];
  readonly cursor: ReadCursor;
  /** True when the read reached the current end of the source. */
  readonly atEnd: boolean;
}

/** The record a subscriber sees as "the" event: the link when there is one. */
export function originalOf(e: ResolvedEvent): RecordedEvent | undefined {
  return e.link ?? e.event;
}

export function readSource(
  log: EventLog,
  source: EventSource,
  cursor: ReadCursor,
  maxCount: number,
  resolveLinks: boolean,
  filter: (e: RecordedEvent) => boolean,
): SourceBatch {
  if (source.kind === 'stream') {
    const from = cursor.from === 'start' ? 0n : cursor.from;
    const res = log.readStream(source.streamId, { direction: 'forwards', from, maxCount: BigInt(maxCount), resolveLinks });
    if (res.kind !== 'ok') return { items: [], cursor, atEnd: true };
    const items: SourceItem[] = [];
    let next = from;
    for (const event of res.events) {
      const original = originalOf(event);
      if (!original) continue;
      next = original.revision + 1n;
      if (original.revision <= cursor.skipUpTo) continue;
      items.push({ event, checkpoint: original.revision });
    }
    const atEnd = res.events.length < maxCount;
    return { items, cursor: { from: next, skipUpTo: cursor.skipUpTo }, atEnd };
  }
  const res = log.readAll({ direction: 'forwards', from: cursor.from, maxCount, resolveLinks, filter });
  const items = res.events
    .filter((event) => event.commitPosition > cursor.skipUpTo)
    .map((event) => ({ event, checkpoint: event.commitPosition }));
  return { items, cursor: { from: res.nextPosition, skipUpTo: cursor.skipUpTo }, atEnd: res.endOfLog };
}

/** Position of the last record in the log, -1 when it is empty. */
export function lastLogPosition(log: EventLog): bigint {
  const res = log.readAll({ direction: 'backwards', from: 'end', maxCount: 1, resolveLinks: false });
  return res.events[0]?.commitPosition ?? -1n;
}
