/**
 * What the read side must know about the Mongo-wire server it writes to.
 * The projector's write pattern is the same everywhere (one guarded
 * conditional write per account: filter {_id, revision}); what differs is
 * how a server can be made to run it fast and how much it takes at once.
 * Numbers come from bench/read-side.ts (see bench/RESULTS.md).
 */
export type MongoServerKind = 'mongodb' | 'mongo-java-server' | 'ferretdb';

export type ReadStoreProfile = {
  readonly server: MongoServerKind;
  /**
   * Create a unique index on {_id, revision} beside _id's. mongo-java-server
   * uses an index only when the filter's fields equal the index's, so without
   * it each guarded update scans the collection (102 vs 6,600 updates/s at
   * 10,000 documents). MongoDB uses _id's own index and needs none.
   */
  readonly guardIndex: boolean;
  /** Most operations in one bulkWrite; larger batches are split. FerretDB 1.24 hangs at 100. */
  readonly maxBulkOps: number;
  /** Deadline of every Mongo call of the projector and the rebuild; a miss fails the batch (retried with back-off). */
  readonly opTimeoutMs: number;
  /**
   * The guarded update is atomic (filter and write under one lock), so a
   * bulkWrite's matched count can be trusted and the summaries need no
   * read-back when every guard matched. MongoDB: document-level atomicity;
   * mongo-java-server: updates hold the collection's lock. FerretDB 1.24 on
   * SQLite: two concurrent guarded updates were seen to both match.
   */
  readonly atomicGuard: boolean;
};

const DEFAULTS: Record<MongoServerKind, Omit<ReadStoreProfile, 'server'>> = {
  mongodb: { guardIndex: false, maxBulkOps: 1_000, opTimeoutMs: 30_000, atomicGuard: true },
  'mongo-java-server': { guardIndex: true, maxBulkOps: 1_000, opTimeoutMs: 30_000, atomicGuard: true },
  ferretdb: { guardIndex: false, maxBulkOps: 90, opTimeoutMs: 30_000, atomicGuard: false },
};

export function readStoreProfile(server: MongoServerKind, overrides: Partial<Omit<ReadStoreProfile, 'server'>> = {}): ReadStoreProfile {
  const base = DEFAULTS[server];
  return {
    server,
    guardIndex: overrides.guardIndex ?? base.guardIndex,
    maxBulkOps: overrides.maxBulkOps ?? base.maxBulkOps,
    opTimeoutMs: overrides.opTimeoutMs ?? base.opTimeoutMs,
    atomicGuard: overrides.atomicGuard ?? base.atomicGuard,
  };
}

/** Whether the server keeps documents only in memory: then the read side fills it from the event store at start. */
export const keepsDataInMemory = (server: MongoServerKind, embedded: boolean): boolean => embedded && server === 'mongo-java-server';

/** The settings (MONGO_SERVER and its overrides) as the read side uses them; `embedded`: Ledger runs the server. */
export type ReadStoreSettings = {
  readonly MONGO_URL?: string | undefined;
  readonly MONGO_SERVER?: MongoServerKind | undefined;
  readonly MONGO_GUARD_INDEX?: boolean | undefined;
  readonly MONGO_MAX_BULK_OPS?: number | undefined;
  readonly MONGO_OP_TIMEOUT_MS?: number | undefined;
};

export function readStoreProfileOf(settings: ReadStoreSettings): ReadStoreProfile & { readonly embedded: boolean; readonly inMemory: boolean } {
  const embedded = settings.MONGO_URL === undefined;
  const server = settings.MONGO_SERVER ?? (embedded ? 'mongo-java-server' : 'mongodb');
  const profile = readStoreProfile(server, {
    ...(settings.MONGO_GUARD_INDEX === undefined ? {} : { guardIndex: settings.MONGO_GUARD_INDEX }),
    ...(settings.MONGO_MAX_BULK_OPS === undefined ? {} : { maxBulkOps: settings.MONGO_MAX_BULK_OPS }),
    ...(settings.MONGO_OP_TIMEOUT_MS === undefined ? {} : { opTimeoutMs: settings.MONGO_OP_TIMEOUT_MS }),
  });
  return { ...profile, embedded, inMemory: keepsDataInMemory(server, embedded) };
}
