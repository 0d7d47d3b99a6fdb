/**
 * Stream metadata as the real server reads it from `$$<stream>`: the last
 * event of the metastream, JSON, with the reserved keys `$maxCount`,
 * `$maxAge` (seconds), `$tb` (truncate before) and any custom keys.
 */

/** EventNumber.DeletedStream: a `$tb` this large marks a soft-deleted stream. */
export const DELETED_STREAM = 9223372036854775807n;

export interface StreamMetadata {
  readonly maxCount: bigint | undefined;
  readonly maxAgeSeconds: number | undefined;
  readonly truncateBefore: bigint | undefined;
  /** The parsed JSON object, undefined when the metadata is not a JSON object. */
  readonly raw: Record<string, unknown> | undefined;
}

export const NO_METADATA: StreamMetadata = {
  maxCount: undefined,
  maxAgeSeconds: undefined,
  truncateBefore: undefined,
  raw: undefined,
};

export const isMetastream = (streamId: string): boolean => streamId.startsWith('$$');
export const metastreamOf = (streamId: string): string => `$$${streamId}`;
export const originalStreamOf = (metastreamId: string): string => metastreamId.slice(2);

// `$tb` is a long on the real server; JSON.parse loses precision past 2^53,
// so the raw text is scanned for the integer literal.
const integerKey = (text: string, key: string): bigint | undefined => {
  const m = new RegExp(`"\\${key}"\\s*:\\s*(-?\\d+)`).exec(text);
  return m?.[1] === undefined ? undefined : BigInt(m[1]);
};

export const parseStreamMetadata = (bytes: Uint8Array): StreamMetadata => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return NO_METADATA;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return NO_METADATA;
  const obj = raw as Record<string, unknown>;
  const maxAge = obj['$maxAge'];
  const maxCount = typeof obj['$maxCount'] === 'number' ? integerKey(text, '$maxCount') : undefined;
  const tb = typeof obj['$tb'] === 'number' ? integerKey(text, '$tb') : undefined;
  return {
    maxCount: maxCount !== undefined && maxCount > 0n ? maxCount : undefined,
    maxAgeSeconds: typeof maxAge === 'number' && maxAge > 0 ? maxAge : undefined,
    truncateBefore: tb !== undefined && tb > 0n ? tb : undefined,
    raw: obj,
  };
};

export const isSoftDeleted = (meta: StreamMetadata): boolean =>
  meta.truncateBefore !== undefined && meta.truncateBefore >= DELETED_STREAM;

/** The metadata JSON with `$tb` replaced, other keys kept (soft delete / undelete). */
export const withTruncateBefore = (meta: StreamMetadata, tb: bigint): Uint8Array => {
  const rest: Record<string, unknown> = { ...(meta.raw ?? {}) };
  delete rest['$tb'];
  const body = JSON.stringify(rest);
  const tbField = `"$tb":${tb.toString()}`;
  const text = body === '{}' ? `{${tbField}}` : `{${tbField},${body.slice(1)}`;
  return new Uint8Array(Buffer.from(text, 'utf8'));
};
