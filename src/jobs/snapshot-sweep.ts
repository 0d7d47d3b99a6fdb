import { snapshotBucket } from './snapshot-job.js';

type Position = { readonly commit: bigint; readonly prepare: bigint };

/** Pages of account events from $all (src/eventstore/rebuild-source.ts). */
export interface SweepSource {
  page(after: Position | undefined, max: number): Promise<{
    events: readonly { streamId: string; revision: bigint }[];
    last: Position | undefined;
    atHead: boolean;
  }>;
}

/**
 * The snapshot sweep: reads the log since its last run and finds the streams
 * that crossed a multiple of `every` in that stretch, with the same rule as
 * the command side, so an enqueue lost while Redis was away is made up for.
 * Enqueueing twice is harmless: the job id collapses repeats.
 */
export async function sweepForSnapshots(
  source: SweepSource,
  after: Position | undefined,
  opts: { every: number; pageSize: number; maxPages: number },
): Promise<{ due: Map<string, number>; last: Position | undefined }> {
  const span = new Map<string, { first: number; last: number }>();
  let position = after;
  for (let i = 0; i < opts.maxPages; i++) {
    const page = await source.page(position, opts.pageSize);
    for (const e of page.events) {
      const id = e.streamId.slice('account-'.length);
      const r = Number(e.revision);
      const s = span.get(id);
      if (s) s.last = Math.max(s.last, r);
      else span.set(id, { first: r, last: r });
    }
    position = page.last;
    if (page.atHead) break;
  }
  const due = new Map<string, number>();
  for (const [id, s] of span) {
    if (snapshotBucket(s.first - 1, opts.every) < snapshotBucket(s.last, opts.every)) due.set(id, s.last);
  }
  return { due, last: position };
}

export const encodePosition = (p: Position): string => `${p.commit}/${p.prepare}`;
export function decodePosition(s: string | null): Position | undefined {
  const m = s ? /^([0-9]+)\/([0-9]+)$/.exec(s) : null;
  return m && m[1] && m[2] ? { commit: BigInt(m[1]), prepare: BigInt(m[2]) } : undefined;
}
