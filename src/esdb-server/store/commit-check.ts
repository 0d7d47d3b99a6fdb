import type { ExpectedRevision } from './types.js';

/**
 * The real server's commit check (IndexWriter.CheckCommit), in our words:
 * decides whether an append goes ahead, is an idempotent repeat of an append
 * already written, or fails. Idempotency by event id only covers a retry of
 * the same events at the same expected revision (exact / no_stream), or,
 * for any / stream_exists, events still in the recent-event-id cache.
 */
export interface StreamView {
  /** -1n when the stream has no events. */
  readonly lastRevision: bigint;
  readonly softDeleted: boolean;
  readonly tombstoned: boolean;
  eventIdAt(revision: bigint): string | undefined;
}

export interface RecentEvent {
  readonly streamId: string;
  readonly revision: bigint;
}

export type CommitDecision =
  | { readonly kind: 'ok' }
  | { readonly kind: 'idempotent'; readonly lastRevision: bigint }
  | { readonly kind: 'wrong_expected_version' }
  | { readonly kind: 'stream_deleted' };

const OK: CommitDecision = { kind: 'ok' };
const WRONG: CommitDecision = { kind: 'wrong_expected_version' };

const byRecentIds = (
  streamId: string,
  eventIds: readonly string[],
  recent: (id: string) => RecentEvent | undefined,
): CommitDecision => {
  let last: bigint | undefined;
  for (const [i, id] of eventIds.entries()) {
    const hit = recent(id);
    if (hit === undefined || hit.streamId !== streamId) return i === 0 ? OK : WRONG;
    last = hit.revision;
  }
  return last === undefined ? OK : { kind: 'idempotent', lastRevision: last };
};

const byPositionInStream = (view: StreamView, expected: bigint, eventIds: readonly string[]): CommitDecision => {
  let revision = expected;
  for (const id of eventIds) {
    revision += 1n;
    if (view.eventIdAt(revision) !== id) return WRONG;
  }
  return { kind: 'idempotent', lastRevision: revision };
};

export const checkCommit = (
  streamId: string,
  view: StreamView,
  expected: ExpectedRevision,
  eventIds: readonly string[],
  recent: (id: string) => RecentEvent | undefined,
): CommitDecision => {
  if (view.tombstoned) return { kind: 'stream_deleted' };
  switch (expected.kind) {
    case 'any':
      return byRecentIds(streamId, eventIds, recent);
    case 'stream_exists':
      if (view.softDeleted) return { kind: 'stream_deleted' };
      if (view.lastRevision < 0n) return WRONG;
      return byRecentIds(streamId, eventIds, recent);
    case 'no_stream':
      // A soft-deleted stream may be recreated as if it did not exist.
      if (view.softDeleted || view.lastRevision < 0n) return OK;
      if (eventIds.length === 0) return WRONG;
      return byPositionInStream(view, -1n, eventIds);
    case 'exact': {
      if (expected.revision === view.lastRevision) return OK;
      if (expected.revision > view.lastRevision || eventIds.length === 0) return WRONG;
      return byPositionInStream(view, expected.revision, eventIds);
    }
  }
};
