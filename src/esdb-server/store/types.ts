/**
 * The contract between the embedded server's storage engine (store/) and the
 * parts built on it (the gRPC services in streams/, persistent/, ...).
 * Positions: commit == prepare, strictly increasing in append order; they
 * order `$all`. Revisions are per stream, from 0.
 */

export interface RecordedEvent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  /** uuid, lower-case canonical form. */
  readonly eventId: string;
  readonly type: string;
  /** 'application/json' or 'application/octet-stream'. */
  readonly contentType: string;
  readonly data: Uint8Array;
  /** The client's custom metadata, byte-for-byte. */
  readonly metadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as the real server's `created`. */
  readonly created: bigint;
}

/** A link event (type `$>`, data `<revision>@<stream>`) with its target, when asked to resolve. */
export interface ResolvedEvent {
  /** The event itself (the target, when `link` is set and resolved). */
  readonly event: RecordedEvent | undefined;
  /** The link record, when `event` was reached through a link. */
  readonly link: RecordedEvent | undefined;
  /** Position of the record read from the log (the link's when resolved through a link). */
  readonly commitPosition: bigint;
}

export interface ProposedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

export type ExpectedRevision =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'exact'; readonly revision: bigint };

export type AppendResult =
  | { readonly ok: true; readonly nextRevision: bigint; readonly position: bigint }
  /** `actual` is undefined when the stream does not exist. */
  | { readonly ok: false; readonly reason: 'wrong_expected_version'; readonly actual: bigint | undefined }
  | { readonly ok: false; readonly reason: 'stream_deleted' };

export interface ReadStreamOptions {
  readonly direction: 'forwards' | 'backwards';
  /** Start revision; 'start' / 'end'. */
  readonly from: bigint | 'start' | 'end';
  readonly maxCount: bigint;
  readonly resolveLinks: boolean;
}

export type ReadStreamResult =
  | { readonly kind: 'ok'; readonly events: ResolvedEvent[]; readonly lastRevision: bigint }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'deleted' };

export interface ReadAllOptions {
  readonly direction: 'forwards' | 'backwards';
  readonly from: bigint | 'start' | 'end';
  readonly maxCount: number;
  readonly resolveLinks: boolean;
  /** Applied server-side; records not matching are skipped, not counted. */
  readonly filter?: (e: RecordedEvent) => boolean;
}

export interface ReadAllResult {
  readonly events: ResolvedEvent[];
  /** Position from which to continue reading (past every record examined). */
  readonly nextPosition: bigint;
  readonly endOfLog: boolean;
}

/**
 * The storage engine. Appends are atomic per call and durable (fsynced) before
 * the returned promise resolves, unless the store is memory-only.
 */
export interface EventLog {
  append(streamId: string, events: readonly ProposedEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  readStream(streamId: string, opts: ReadStreamOptions): ReadStreamResult;
  readAll(opts: ReadAllOptions): ReadAllResult;
  /** Last revision of a stream, undefined when it has no events (or is deleted). */
  lastRevision(streamId: string): bigint | undefined;
  /** Position of the last record in the log (0n when empty). */
  headPosition(): bigint;
  /** Called after each durable commit with the records it added, in log order. */
  onCommitted(listener: (records: readonly RecordedEvent[]) => void): () => void;
  close(): Promise<void>;
}
