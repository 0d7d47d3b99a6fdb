import { z } from 'zod';

/**
 * Where a rebuild stands, as recorded in its job after every batch (JSON:
 * positions are decimal strings). A restarted worker resumes from it.
 *  copying      reading $all from the start into the target
 *  catching_up  past the head measured at the start, still reading
 *  flipped      readers now use the target; closing the gap left by the flip
 *  completed / cancelled  final
 */
export const rebuildPhases = ['copying', 'catching_up', 'flipped', 'completed', 'cancelled'] as const;
export type RebuildPhase = (typeof rebuildPhases)[number];

const decimal = z.string().regex(/^[0-9]+$/);

export const rebuildProgressSchema = z.object({
  phase: z.enum(rebuildPhases),
  /** Last $all position whose batch is written to the target; null before the first. */
  position: z.object({ commit: decimal, prepare: decimal }).nullable(),
  headPosition: decimal,
  eventsDone: z.number().int().nonnegative(),
  eventsPerSecond: z.number().nonnegative(),
  /** Collection readers used before the flip, dropped after the grace period. */
  replacing: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  flippedAt: z.string().nullable(),
  /**
   * When the projection's registry entry was created, as the rebuild found it.
   * A different one at the flip means the read store lost its data meanwhile
   * (the in-memory embedded server restarted): the target is then incomplete.
   */
  registryEpoch: z.string().nullable().optional(),
  /**
   * Accounts the rebuild holds at an event it could not read (skipped as
   * damaged, issue 14), lowest revision first, at most MAX_REPORTED_HOLDS:
   * the same holds the live projector would record, reported in the outcome.
   */
  held: z.array(z.object({ accountId: z.string(), revision: decimal, eventId: z.string(), reason: z.string() })).optional(),
});
export type RebuildProgress = z.infer<typeof rebuildProgressSchema>;
export type RebuildHold = NonNullable<RebuildProgress['held']>[number];

/** Most held accounts a rebuild's progress lists (a job's progress is one Redis value). */
export const MAX_REPORTED_HOLDS = 100;

/** Progress as read back from storage; undefined when absent or not ours. */
export function parseRebuildProgress(value: unknown): RebuildProgress | undefined {
  const r = rebuildProgressSchema.safeParse(value);
  return r.success ? r.data : undefined;
}
