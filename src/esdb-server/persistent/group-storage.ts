import { v4 as uuid } from 'uuid';
import type { EventLog, ProposedEvent, ResolvedEvent } from '../store/types.js';

/** Stream names of the real server (PersistentSubscriptionCheckpointWriter / MessageParker / Service). */
export const configStream = '$persistentSubscriptionConfig';
export const groupKey = (source: string, group: string): string => `${source}::${group}`;
export const checkpointStream = (key: string): string => `$persistentsubscription-${key}-checkpoint`;
export const parkedStream = (key: string): string => `$persistentsubscription-${key}-parked`;
const metastream = (stream: string): string => `$$${stream}`;

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');
const empty = new Uint8Array();

export function jsonEvent(type: string, data: unknown, metadata: Uint8Array = empty): ProposedEvent {
  return { eventId: uuid(), type, contentType: 'application/json', data: json(data), metadata };
}

function lastEvent(log: EventLog, stream: string): ResolvedEvent | undefined {
  const res = log.readStream(stream, { direction: 'backwards', from: 'end', maxCount: 1n, resolveLinks: false });
  return res.kind === 'ok' ? res.events[0] : undefined;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * `$tb` (truncate before) of a stream, read from its metadata stream. The
 * group honours it itself, so a deleted group's old checkpoint or replayed
 * parked messages stay invisible whatever the store does with metadata.
 */
function truncateBefore(log: EventLog, stream: string): bigint {
  const meta = lastEvent(log, metastream(stream))?.event;
  // Scanned from the text: a soft delete's `$tb` (2^63-1) does not survive JSON.parse.
  const m = meta ? /"\$tb"\s*:\s*(\d+)/.exec(Buffer.from(meta.data).toString('utf8')) : null;
  return m?.[1] !== undefined ? BigInt(m[1]) : 0n;
}

const positionText = /^C:(-?\d+)\/P:(-?\d+)$/;
const deletedStream = 9223372036854775807n;

/** The durable state of one group: its checkpoint and its parked messages. */
export class GroupStorage {
  private readonly checkpoints: string;
  readonly parked: string;

  constructor(
    private readonly log: EventLog,
    key: string,
    private readonly isAll: boolean,
  ) {
    this.checkpoints = checkpointStream(key);
    this.parked = parkedStream(key);
  }

  /** The last stored checkpoint: a stream revision, or a commit position for `$all`. */
  loadCheckpoint(): bigint | undefined {
    const last = lastEvent(this.log, this.checkpoints)?.event;
    if (!last || last.revision < truncateBefore(this.log, this.checkpoints)) return undefined;
    const value = parseJson(last.data);
    if (typeof value === 'number') return BigInt(value);
    if (typeof value === 'string') {
      const m = positionText.exec(value);
      if (m?.[1] !== undefined) return BigInt(m[1]);
      if (/^-?\d+$/.test(value)) return BigInt(value);
    }
    return undefined;
  }

  async writeCheckpoint(value: bigint): Promise<void> {
    if (this.log.lastRevision(this.checkpoints) === undefined) {
      await this.log.append(metastream(this.checkpoints), [jsonEvent('$metadata', { $maxCount: 2 })], { kind: 'any' });
    }
    // The real server writes the position's text as a JSON string: "5", or "C:x/P:y" for `$all`.
    const data = this.isAll ? `C:${value}/P:${value}` : `${value}`;
    await this.log.append(this.checkpoints, [jsonEvent('$SubscriptionCheckpoint', data)], { kind: 'any' });
  }

  /** Writes a link to the event into the parked stream, with the reason in its metadata. */
  async park(e: ResolvedEvent, reason: string): Promise<void> {
    const target = e.event;
    const data = target ? `${target.revision}@${target.streamId}` : Buffer.from(e.link?.data ?? empty).toString('utf8');
    const metadata = json({ added: new Date().toISOString(), reason, subscriptionEventNumber: Number((e.link ?? target)?.revision ?? -1n) });
    const link: ProposedEvent = { eventId: uuid(), type: '$>', contentType: 'application/octet-stream', data: Buffer.from(data, 'utf8'), metadata };
    await this.log.append(this.parked, [link], { kind: 'any' });
  }

  /** Parked messages not yet replayed: [first, end) in the parked stream's revisions. */
  parkedRange(): { first: bigint; end: bigint } {
    const last = this.log.lastRevision(this.parked);
    const end = last === undefined ? 0n : last + 1n;
    const first = truncateBefore(this.log, this.parked);
    return { first: first > end ? end : first, end };
  }

  /** The parked events in [from, to), resolved to the events they point at. */
  readParked(from: bigint, to: bigint): ResolvedEvent[] {
    if (to <= from) return [];
    const res = this.log.readStream(this.parked, { direction: 'forwards', from, maxCount: to - from, resolveLinks: true });
    if (res.kind !== 'ok') return [];
    return res.events.filter((e) => e.event !== undefined && e.link !== undefined && e.link.revision < to);
  }

  /** Marks parked messages before `tb` as replayed, the way the real server does: `$tb` on the parked stream. */
  async markReplayed(tb: bigint): Promise<void> {
    await this.log.append(metastream(this.parked), [jsonEvent('$metadata', { $tb: Number(tb) })], { kind: 'any' });
  }

  /**
   * A deleted group soft-deletes its checkpoint and parked streams, as the
   * real server does, so a new group of the same name starts clean. The
   * `$tb` is EventNumber.DeletedStream (2^63-1), written as text because a
   * JS number cannot hold it.
   */
  async forget(): Promise<void> {
    for (const stream of [this.checkpoints, this.parked]) {
      if (this.log.lastRevision(stream) === undefined) continue;
      const metadata: ProposedEvent = { ...jsonEvent('$metadata', {}), data: Buffer.from(`{"$tb":${deletedStream}}`, 'utf8') };
      await this.log.append(metastream(stream), [metadata], { kind: 'any' });
    }
  }
}
