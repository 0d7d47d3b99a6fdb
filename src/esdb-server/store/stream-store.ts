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

/** Where committed records go before an append is acknowledged (the data dir), if anywhere. */
export interface Journal {
  /** Appends the records durably; resolves after fsync. Called one batch at a time. */
  write(records: readonly RecordedEvent[]): Promise<void>;
  close(): Promise<void>;
}
