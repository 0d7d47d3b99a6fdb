import { z } from 'zod';

/** SnapshotJob payload: the account and the revision its append reached. */
export const snapshotJobSchema = z.object({
  accountId: z.string().min(1),
  revision: z.number().int().nonnegative(),
});
export type SnapshotJobData = z.infer<typeof snapshotJobSchema>;

/**
 * One job per stream and revision bucket: every append that lands in the same
 * bucket (and every sweep that notices it) maps to the same id, and BullMQ
 * refuses a second job with an id it still holds, so repeats collapse.
 */
export const snapshotJobId = (accountId: string, revision: number, every: number): string =>
  `snapshot-account-${accountId}-${snapshotBucket(revision, every)}`;

/** Bucket k holds revisions whose event count (revision + 1) lies in [k·every, (k+1)·every). */
export const snapshotBucket = (revision: number, every: number): number => Math.floor((revision + 1) / every);

