import type { StoredEvent } from './recorded-account-event.js';
import type { AccountHold } from './read-model-store.js';
import { MAX_REPORTED_HOLDS, type RebuildHold, type RebuildProgress } from './rebuild-progress.js';

type Position = { readonly commit: bigint; readonly prepare: bigint };

/** Pages of `$all`, account events only (src/eventstore/rebuild-source.ts). */
export interface RebuildSource {
  page(after: Position | undefined, max: number): Promise<{ events: StoredEvent[]; last: Position | undefined; atHead: boolean }>;
  head(): Promise<bigint>;
}

/** Folds events into the collection being built; applying an event twice changes nothing. */
export interface RebuildTarget {
  readonly collection: string;
  prepare(): Promise<void>;
  apply(events: readonly StoredEvent[]): Promise<void>;
  /** Persists everything applied so far (a target may stage writes in memory); called before a position is recorded. */
  flush?(): Promise<void>;
  /** Flushes, then writes each apply through: from the flip on, when the live projector writes the target too. */
  writeThrough?(): Promise<void>;
  /** Called once the rebuild completed: drop any working state. */
  finish(): Promise<void>;
  /** Called on cancel: drop everything built so far. */
  drop(): Promise<void>;
  /** Accounts held so far at an event the target could not read (skipped as damaged). */
  held?(): readonly AccountHold[];
}

/** The projection registry as a rebuild sees it. */
export interface RebuildRegistry {
  activeCollection(projection: string): Promise<string>;
  /** When the projection's entry was created (see RebuildProgress.registryEpoch); absent: not checked. */
  registeredAt?(projection: string): Promise<string | null>;
  setActiveCollection(projection: string, collection: string): Promise<void>;
}

/** The job around a rebuild: its recorded progress, cancel requests, the delayed drop. */
export interface RebuildControl {
  recorded(): RebuildProgress | undefined;
  record(progress: RebuildProgress): Promise<void>;
  cancelRequested(): Promise<boolean>;
  /** Drops `collection` after the grace period, surviving restarts (a delayed job). */
  scheduleDrop(collection: string): Promise<void>;
}

export type RebuildOptions = {
  readonly projection: string;
  readonly batchSize: number;
  /** How long to keep closing the gap after the flip, so a projector still writing to the old collection is covered. */
  readonly settleMs: number;
  /**
   * How long a staging target may hold folded summaries before they are
   * written and the position recorded (REBUILD_FLUSH_MS); 0: every batch.
   * Longer folds more events of an account into one write.
   */
  readonly flushEveryMs?: number;
  readonly now?: () => Date;
};

/** The read store was recreated while the rebuild ran (the in-memory embedded server restarted): start the rebuild again. */
export class ReadStoreLostData extends Error {
  override readonly name = 'ReadStoreLostData';
  constructor(projection: string, collection: string) {
    super(`the read store lost its data while ${collection} was being built (its ${projection} registry entry was recreated); readers stay where they are: start the rebuild again`);
  }
}

/** Most events applied between two flushes of a staging target, whatever the time: bounds its memory. */
const FLUSH_EVERY_EVENTS = 100_000;

export type RebuildOutcome = { readonly phase: 'completed' | 'cancelled'; readonly progress: RebuildProgress };

const toJson = (p: Position | undefined) => (p ? { commit: p.commit.toString(), prepare: p.prepare.toString() } : null);
const fromJson = (p: RebuildProgress['position']): Position | undefined =>
  p ? { commit: BigInt(p.commit), prepare: BigInt(p.prepare) } : undefined;

/**
 * RebuildJob's work: copy $all into a fresh collection with the projection's
 * own fold, record the position after every written batch (so a restart
 * resumes there), catch up to the head, flip the registry, close the gap the
 * flip leaves, and schedule the old collection's drop. Readers keep the old
 * collection until the flip, which happens only once the target holds every
 * account up to the head: no reader ever sees a partial account.
 */
export async function runRebuild(
  source: RebuildSource,
  target: RebuildTarget,
  registry: RebuildRegistry,
  control: RebuildControl,
  opts: RebuildOptions,
): Promise<RebuildOutcome> {
  const now = opts.now ?? (() => new Date());
  const resumed = control.recorded();
  if (resumed && (resumed.phase === 'completed' || resumed.phase === 'cancelled')) return { phase: resumed.phase, progress: resumed };

  let progress: RebuildProgress = resumed ?? {
    phase: 'copying',
    position: null,
    headPosition: (await source.head()).toString(),
    eventsDone: 0,
    eventsPerSecond: 0,
    replacing: await registry.activeCollection(opts.projection),
    startedAt: now().toISOString(),
    updatedAt: now().toISOString(),
    flippedAt: null,
    registryEpoch: (await registry.registeredAt?.(opts.projection)) ?? null,
  };
  if (!resumed) {
    await target.prepare();
    await control.record(progress);
  }
  let position = fromJson(progress.position);
  const rate = rateMeter(now, progress.eventsDone);

  // A resumed run after the flip writes through from the start.
  if (progress.phase === 'flipped') await target.writeThrough?.();
  let unflushed = 0;
  let flushedAt = now().getTime();
  const copyToHead = async (): Promise<'head' | 'cancelled'> => {
    for (;;) {
      if (progress.phase !== 'flipped' && (await control.cancelRequested())) return 'cancelled';
      const page = await source.page(position, opts.batchSize);
      await target.apply(page.events);
      position = page.last;
      const eventsDone = progress.eventsDone + page.events.length;
      const phase = progress.phase === 'flipped' ? 'flipped'
        : position && position.commit >= BigInt(progress.headPosition) ? 'catching_up' : progress.phase;
      progress = { ...progress, phase, position: toJson(position), eventsDone, eventsPerSecond: rate(eventsDone), updatedAt: now().toISOString(), ...heldBy(target, progress) };
      unflushed += page.events.length;
      // The recorded position must not run ahead of what Mongo holds.
      if (page.atHead || unflushed >= FLUSH_EVERY_EVENTS || now().getTime() - flushedAt >= (opts.flushEveryMs ?? 0)) {
        await target.flush?.();
        unflushed = 0;
        flushedAt = now().getTime();
        await control.record(progress);
      }
      if (page.atHead) return 'head';
    }
  };

  if (progress.phase !== 'flipped') {
    if ((await copyToHead()) === 'cancelled') {
      await target.drop();
      progress = { ...progress, phase: 'cancelled', updatedAt: now().toISOString() };
      await control.record(progress);
      return { phase: 'cancelled', progress };
    }
    await target.writeThrough?.();
    const epoch = (await registry.registeredAt?.(opts.projection)) ?? null;
    if (registry.registeredAt !== undefined && progress.registryEpoch !== undefined && epoch !== progress.registryEpoch) {
      // Never swap readers onto a target that lost what it had copied.
      throw new ReadStoreLostData(opts.projection, target.collection);
    }
    await registry.setActiveCollection(opts.projection, target.collection);
    progress = { ...progress, phase: 'flipped', flippedAt: now().toISOString(), headPosition: (await source.head()).toString() };
    await control.record(progress);
  }

  // Events the live projector wrote to the old collection between our last
  // page and the flip are missing from the target: read on to the head until
  // the projector has surely moved to the new collection. Re-applying what it
  // already wrote there is a no-op (revision guard).
  const flippedAt = Date.parse(progress.flippedAt ?? now().toISOString());
  for (;;) {
    await copyToHead();
    const left = flippedAt + opts.settleMs - now().getTime();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(250, left)));
  }

  await target.finish();
  if (progress.replacing !== target.collection) await control.scheduleDrop(progress.replacing);
  progress = { ...progress, phase: 'completed', updatedAt: now().toISOString() };
  await control.record(progress);
  return { phase: 'completed', progress };
}

/**
 * The accounts held so far: those a resumed run recorded before its restart
 * (the target's holds live in memory) and the target's own, lowest revision
 * first. Absent while there are none, so a clean rebuild's progress is as before.
 */
function heldBy(target: RebuildTarget, progress: RebuildProgress): { held?: RebuildHold[] } {
  const byAccount = new Map<string, RebuildHold>();
  for (const h of progress.held ?? []) byAccount.set(h.accountId, h);
  for (const h of target.held?.() ?? []) {
    if (!byAccount.has(h.accountId)) byAccount.set(h.accountId, { accountId: h.accountId, revision: h.revision.toString(), eventId: h.eventId, reason: h.reason });
  }
  if (byAccount.size === 0) return {};
  const held = [...byAccount.values()].sort((a, b) => Number(BigInt(a.revision) - BigInt(b.revision)) || a.accountId.localeCompare(b.accountId));
  return { held: held.slice(0, MAX_REPORTED_HOLDS) };
}

/** Events per second since this run started (a resumed run measures its own pace). */
function rateMeter(now: () => Date, startEvents: number): (events: number) => number {
  const t0 = now().getTime();
  return (events) => {
    const s = (now().getTime() - t0) / 1000;
    return s > 0 ? Math.round((events - startEvents) / s) : 0;
  };
}
