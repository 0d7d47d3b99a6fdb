import type { EventLog, ExpectedRevision, RecordedEvent, ResolvedEvent } from './types.js';
import type { StreamMetadata } from './stream-metadata.js';

/**
 * What the Streams service needs beyond the shared EventLog contract:
 * deleting streams and looking at their state. Additive, so the EventLog
 * contract stays as the persistent-subscriptions engine codes against it.
 */
export type DeleteResult =
  | { readonly ok: true; readonly position: bigint }
  | { readonly ok: false; readonly reason: 'wrong_expected_version'; readonly actual: bigint | undefined }
  | { readonly ok: false; readonly reason: 'stream_deleted' };

export interface StreamStore extends EventLog {
  /** Soft delete (`hard` false: `$tb` set past the end) or tombstone (`hard` true). */
  deleteStream(streamId: string, expected: ExpectedRevision, hard: boolean): Promise<DeleteResult>;
  isTombstoned(streamId: string): boolean;
  metadataOf(streamId: string): StreamMetadata;
  /** The committed record at a log position, if any. */
  recordAt(position: bigint): RecordedEvent | undefined;
  /** The record as a read returns it: a link followed to its target when asked. */
  resolve(record: RecordedEvent, resolveLinks: boolean): ResolvedEvent;
}

/**
 * Group commit limits, which also bound how much of the log's end a crash
 * can leave torn: at most MAX_GROUPS_IN_FLIGHT writes are on their way to
 * disk at once, each of at most about MAX_GROUP_BYTES (a group is cut
 * between appends, so one append may take it past the limit by its own size).
 */
export const MAX_GROUPS_IN_FLIGHT = 3;
export const MAX_GROUP_BYTES = 8 * 1024 * 1024;
/** An append's largest size in the log (MAX_APPEND_LOG_BYTES in streams/decode-request.ts, which also counts framing). */
const MAX_APPEND_BYTES = 16 * 1024 * 1024;
export const MAX_TORN_BYTES = MAX_GROUPS_IN_FLIGHT * (MAX_GROUP_BYTES + MAX_APPEND_BYTES);

/** Where committed records go before an append is acknowledged (the data dir), if anywhere. */
export interface Journal {
  /**
   * Appends the records durably; resolves after fsync. Up to
   * MAX_GROUPS_IN_FLIGHT calls may be outstanding; their writes land in
   * call order.
   */
  write(records: readonly RecordedEvent[]): Promise<void>;
  close(): Promise<void>;
}
