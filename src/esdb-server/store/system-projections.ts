import type { RecordedEvent } from './types.js';

/**
 * The real server's standard projections `$by_category` and `$by_event_type`
 * emit link events (type `$>`, data `<revision>@<stream>`) into `$ce-<category>`
 * and `$et-<type>`. Only events of user streams are projected; the category
 * is the part of the stream name before the first `-`, as the default
 * `$by_category` configuration does.
 */
export const LINK_EVENT_TYPE = '$>';
const OCTET_STREAM = 'application/octet-stream';

export const linkData = (target: RecordedEvent): Uint8Array => Buffer.from(`${target.revision.toString()}@${target.streamId}`, 'utf8');

/** Parses `<revision>@<stream>`; undefined when it is not a link body. */
export const parseLink = (data: Uint8Array): { streamId: string; revision: bigint } | undefined => {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const at = text.indexOf('@');
  if (at <= 0) return undefined;
  const rev = text.slice(0, at);
  if (!/^\d+$/.test(rev)) return undefined;
  return { streamId: text.slice(at + 1), revision: BigInt(rev) };
};

// What the real projections put in a link's metadata; clients read `$causedBy`
// (the target's event id) and `$o` (the original stream).
const linkMetadata = (target: RecordedEvent): Uint8Array => {
  const pos = target.position.toString();
  // Stream names and ids are JSON-encoded; the rest are numbers.
  const text = `{"$v":"1:-1:1:4","$c":${pos},"$p":${pos},"$o":${JSON.stringify(target.streamId)},"$causedBy":"${target.eventId}"}`;
  return Buffer.from(text, 'utf8');
};

// Link ids are derived from the link's position (unique within the log)
// rather than drawn at random: nothing reads meaning into them, and a link
// then costs no id to generate, keep or store. Version 4 / variant 10 shape.
const LINK_ID_PREFIX = '5f1d8c3a-2b7e-4d90-9c41-';
export const linkEventId = (position: number): string => LINK_ID_PREFIX + position.toString(16).padStart(12, '0');

/** Which standard projection wrote a link: `$by_category` or `$by_event_type`. */
export const BY_CATEGORY = 0;
export const BY_EVENT_TYPE = 1;
export type LinkKind = typeof BY_CATEGORY | typeof BY_EVENT_TYPE;

/**
 * A projected link as the store keeps it: its target and where it sits.
 * Its data, metadata, id and created time are derived from the target and
 * its position when read, so a link costs the write path and the heap one
 * small object (links are two of every three records in the log).
 */
export class ProjectedLink implements RecordedEvent {
  constructor(
    readonly streamId: string,
    readonly kind: LinkKind,
    private readonly rev: number,
    private readonly pos: number,
    readonly target: RecordedEvent,
  ) {}

  get revision(): bigint {
    return BigInt(this.rev);
  }
  get position(): bigint {
    return BigInt(this.pos);
  }
  /** Written in the same commit as its target. */
  get created(): bigint {
    return this.target.created;
  }
  get eventId(): string {
    return linkEventId(this.pos);
  }
  get type(): string {
    return LINK_EVENT_TYPE;
  }
  get contentType(): string {
    return OCTET_STREAM;
  }
  get data(): Uint8Array {
    return linkData(this.target);
  }
  get metadata(): Uint8Array {
    return linkMetadata(this.target);
  }
}

/**
 * The link streams an event is projected into (none for system streams).
 * Names are kept per stream and type, so every link of a stream shares one
 * string and none is built per event.
 */
export class LinkStreams {
  private readonly byStream = new Map<string, string | null>();
  private readonly byType = new Map<string, string>();

  category(streamId: string): string | undefined {
    let name = this.byStream.get(streamId);
    if (name === undefined) {
      const dash = streamId.indexOf('-');
      name = dash > 0 ? `$ce-${streamId.slice(0, dash)}` : null;
      this.byStream.set(streamId, name);
    }
    return name ?? undefined;
  }

  eventType(type: string): string {
    let name = this.byType.get(type);
    if (name === undefined) {
      name = `$et-${type}`;
      this.byType.set(type, name);
    }
    return name;
  }

  /** The stream a link of this kind to `target` belongs to. */
  of(kind: LinkKind, target: RecordedEvent): string | undefined {
    return kind === BY_CATEGORY ? this.category(target.streamId) : this.eventType(target.type);
  }
}
