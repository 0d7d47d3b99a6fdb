/** BullMQ queue names (no ':' allowed by BullMQ). */
export const SNAPSHOT_QUEUE = 'ledger-snapshots';
export const REBUILD_QUEUE = 'ledger-rebuilds';

/** Job names inside those queues. */
export const SNAPSHOT_JOB = 'snapshot';
export const SNAPSHOT_SWEEP_JOB = 'snapshot-sweep';
export const REBUILD_JOB = 'rebuild';
export const DROP_COLLECTION_JOB = 'drop-collection';
