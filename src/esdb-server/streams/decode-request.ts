import { sharedPb } from '../generated.js';
import type { ExpectedRevision, ProposedEvent } from '../store/types.js';
import { BadRequest, invalidArgument, requiredMetadataPropertyMissing } from './rpc-errors.js';

/** The real server's default `MaxAppendSize` (1 MiB). */
export const MAX_APPEND_SIZE = 1_048_576;

// Which of a canonical uuid's 36 characters are hyphens; the rest must be hex digits.
const isHyphenAt = (i: number): boolean => i === 8 || i === 13 || i === 18 || i === 23;
/** 1 for a lower-case hex digit, 2 for an upper-case one, 0 otherwise. */
const hexKind = (c: number): number => ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) ? 1 : c >= 65 && c <= 70 ? 2 : 0);

/**
 * The canonical lower-case form of a uuid in 8-4-4-4-12 text, or undefined
 * when it is not one. A character loop: a RegExp test and toLowerCase cost
 * ~1 µs per event on the append path, and the id is nearly always lower case.
 */
const canonicalUuid = (text: string): string | undefined => {
  if (text.length !== 36) return undefined;
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (isHyphenAt(i)) {
      if (c !== 45) return undefined;
      continue;
    }
    const kind = hexKind(c);
    if (kind === 0) return undefined;
    if (kind === 2) upper = true;
  }
  return upper ? text.toLowerCase() : text;
};
const CONTENT_TYPES = new Set(['application/json', 'application/octet-stream']);
const MAX_REVISION = 18446744073709551615n;

type GrpcUuid = InstanceType<typeof sharedPb.UUID>;
type GrpcStreamIdentifier = InstanceType<typeof sharedPb.StreamIdentifier>;

/**
 * Stream names and event types are stored with a 16-bit length; the limit
 * leaves room for the names derived from them (`$$s`, `$ce-c`, `$et-t`).
 */
export const MAX_NAME_BYTES = 60_000;

export const decodeStreamName = (id: GrpcStreamIdentifier | undefined): string => streamNameFromBytes(id?.getStreamName_asU8());

export const streamNameFromBytes = (raw: Uint8Array | undefined): string => {
  if (raw === undefined || raw.length === 0) throw new BadRequest(invalidArgument('Stream name must not be empty'));
  if (raw.length > MAX_NAME_BYTES) throw new BadRequest(invalidArgument('Stream name is too long'));
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
};

/** A UUID given as text, or as its two 64-bit halves ('structured'). */
export const uuidFrom = (u: { string: string } | { most: bigint; least: bigint } | undefined): string => {
  if (u !== undefined && 'most' in u) {
    const buf = Buffer.alloc(16);
    buf.writeBigInt64BE(BigInt.asIntN(64, u.most), 0);
    buf.writeBigInt64BE(BigInt.asIntN(64, u.least), 8);
    const h = buf.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  const text = u?.string ?? '';
  const canonical = canonicalUuid(text);
  if (canonical === undefined) throw new BadRequest(invalidArgument(`Invalid event id '${text}'`));
  return canonical;
};

export const decodeUuid = (uuid: GrpcUuid | undefined): string => {
  const s = uuid?.hasStructured() ? uuid.getStructured() : undefined;
  if (s !== undefined) return uuidFrom({ most: BigInt(s.getMostSignificantBits()), least: BigInt(s.getLeastSignificantBits()) });
  return uuidFrom({ string: uuid?.getString() ?? '' });
};

/** A revision sent as a decimal uint64 string. */
export const decodeRevision = (text: string, what: string): bigint => {
  if (!/^\d+$/.test(text)) throw new BadRequest(invalidArgument(`${what} must be a non-negative integer`));
  const v = BigInt(text);
  if (v > MAX_REVISION) throw new BadRequest(invalidArgument(`${what} out of range`));
  return v;
};

interface ExpectedOptions {
  hasAny(): boolean;
  hasNoStream(): boolean;
  hasStreamExists(): boolean;
}

export const decodeExpected = (o: ExpectedOptions, exact: () => string | undefined): ExpectedRevision => {
  if (o.hasNoStream()) return { kind: 'no_stream' };
  if (o.hasStreamExists()) return { kind: 'stream_exists' };
  const rev = exact();
  if (rev !== undefined) return { kind: 'exact', revision: decodeRevision(rev, 'Expected revision') };
  return { kind: 'any' };
};

interface GrpcProposed {
  getId(): GrpcUuid | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

export const decodeProposed = (m: GrpcProposed): ProposedEvent =>
  proposedEvent(decodeUuid, m.getId(), m.getMetadataMap(), m.getData_asU8(), m.getCustomMetadata_asU8());

/**
 * Validates one proposed event: its metadata map must name a type and a known
 * content type; the id is decoded after those checks, with `decodeId` (a
 * function and its argument rather than a closure: this runs once per event).
 */
export const proposedEvent = <Id>(
  decodeId: (raw: Id) => string,
  rawId: Id,
  meta: { get(key: string): string | undefined },
  data: Uint8Array,
  metadata: Uint8Array,
): ProposedEvent => {
  const type = meta.get('type');
  if (type === undefined) throw new BadRequest(requiredMetadataPropertyMissing('type'));
  if (type.length === 0) throw new BadRequest(invalidArgument('Event type must not be empty'));
  // At most three UTF-8 bytes per UTF-16 unit: only a long type needs measuring (this runs once per event).
  if (type.length > MAX_NAME_BYTES / 3 && Buffer.byteLength(type, 'utf8') > MAX_NAME_BYTES) throw new BadRequest(invalidArgument('Event type is too long'));
  const contentType = meta.get('content-type');
  if (contentType === undefined) throw new BadRequest(requiredMetadataPropertyMissing('content-type'));
  if (!CONTENT_TYPES.has(contentType)) throw new BadRequest(invalidArgument(`Unsupported content type '${contentType}'`));
  return { eventId: decodeId(rawId), type, contentType, data, metadata };
};

/**
 * Size of an event as the real server (23.10, the version claimed) counts it
 * against MaxAppendSize: `Event.SizeOnDisk(type, data, metadata)`, written
 * `data?.Length ?? 0 + metadata?.Length ?? 0 + eventType.Length * 2`, which C#
 * parses as `data?.Length ?? (0 + ...)`: the data's length alone. So a batch
 * of many small events, or events with large metadata, passes there as long
 * as their data stays within 1 MiB, and must pass here.
 */
export const proposedSize = (e: ProposedEvent): number => e.data.length;

/**
 * What the real server does not limit but this one must: the bytes an
 * append takes in the log (every record whole, metadata and names
 * included), bounded so that what a crash can leave torn at the log's end
 * stays bounded (MAX_TORN_BYTES). Far above anything MaxAppendSize lets
 * through in practice (30,000 small events take about 4 MiB).
 */
export const MAX_APPEND_LOG_BYTES = 16 * 1024 * 1024;
/** A record's framing and fixed fields, and the two links the standard projections may add for it. */
const RECORD_OVERHEAD = 128;
export const logSize = (streamBytes: number, e: ProposedEvent): number =>
  RECORD_OVERHEAD + streamBytes + Buffer.byteLength(e.type, 'utf8') + e.data.length + e.metadata.length;
