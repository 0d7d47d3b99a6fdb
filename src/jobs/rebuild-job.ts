import { z } from 'zod';

/** RebuildJob payload, fixed at enqueue: the target collection is chosen once, so a resumed run writes where it started. */
export const rebuildJobSchema = z.object({
  rebuildId: z.string().uuid(),
  projection: z.string().min(1),
  targetCollection: z.string().regex(/^[A-Za-z0-9_]+$/),
  requestedAt: z.string(),
});
export type RebuildJobData = z.infer<typeof rebuildJobSchema>;

/** Deduplication key: BullMQ admits one unfinished rebuild per projection. */
export const rebuildDeduplicationId = (projection: string): string => `rebuild-${projection}`;

export const targetCollectionFor = (projection: string, rebuildId: string): string =>
  `${projection}_rb_${rebuildId.replaceAll('-', '').slice(0, 12)}`;

/** Delayed job that drops a replaced collection after the grace period. */
export const dropCollectionJobSchema = z.object({ collection: z.string().regex(/^[A-Za-z0-9_]+$/) });
export type DropCollectionJobData = z.infer<typeof dropCollectionJobSchema>;

/** Redis key an operator's cancel sets; the running job checks it between batches. */
export const rebuildCancelKey = (rebuildId: string): string => `ledger:rebuild-cancel:${rebuildId}`;
