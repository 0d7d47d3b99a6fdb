import { ReadModelUnavailable } from './read-model-unavailable.js';
import type { Db } from 'mongodb';

export const PROJECTIONS_COLLECTION = 'projections';

/** running: live and caught up or catching up; blocked: some account waits behind a parked event. */
export type ProjectionStatus = 'starting' | 'running' | 'blocked' | 'waiting_for_store' | 'rebuilding' | 'stopped';

export type ProjectionLag = {
  /** Commit position in $all of the last event processed (acked). */
  readonly checkpointPosition: bigint | null;
  readonly eventsBehind: bigint;
  readonly timeBehindMs: number;
  readonly eventsPerSecond: number;
  readonly parkedCount: bigint;
  readonly blockedAccounts: number;
};

export type ProjectionRecord = {
  readonly name: string;
  readonly activeCollection: string;
  readonly status: ProjectionStatus;
  readonly lag: ProjectionLag | null;
  readonly updatedAt: Date;
};

type RegistryDocument = {
  _id: string;
  active_collection: string;
  status: ProjectionStatus;
  checkpoint: bigint | null;
  lag: { events_behind: bigint; time_behind_ms: number; events_per_second: number; parked_count: bigint; blocked_accounts: number } | null;
  updated_at: Date;
  /** When this entry was created: a read store that lost its data recreates it with a new one. */
  registered_at?: Date;
};

/**
 * The `projections` collection: which collection serves each projection, and
 * how far along it is. Queries resolve their collection here, so a rebuild
 * can fill a new collection and swap it in with setActiveCollection.
 */
export class ProjectionRegistry {
  constructor(private readonly db: Db) {}

  /** Registers a projection on its default collection if it is not there yet (idempotent). */
  async ensure(name: string, defaultCollection: string): Promise<void> {
    const upsert = () =>
      this.collection().updateOne(
        { _id: name },
        { $setOnInsert: { active_collection: defaultCollection, status: 'starting', checkpoint: null, lag: null, updated_at: new Date(), registered_at: new Date() } },
        { upsert: true },
      );
    try {
      await upsert();
    } catch (err) {
      // Two processes starting together can both try the insert; the loser's
      // duplicate-key error means the document now exists, and a second
      // upsert matches it (and changes nothing).
      if (!isDuplicateKey(err)) throw err;
      await upsert();
    }
  }

  async getActiveCollection(name: string): Promise<string> {
    const doc = await this.collection().findOne({ _id: name });
    // Unavailable, not a bug: an in-memory Mongo that restarted is empty until
    // the read side fills it again (its registry included).
    if (doc === null) throw new ReadModelUnavailable(new Error(`projection ${name} is not registered`));
    return doc.active_collection;
  }

  /** When the entry was created (ISO), or null for entries older than this field. */
  async registeredAt(name: string): Promise<string | null> {
    const doc = await this.collection().findOne({ _id: name });
    if (doc === null) throw new ReadModelUnavailable(new Error(`projection ${name} is not registered`));
    return doc.registered_at?.toISOString() ?? null;
  }

  async setActiveCollection(name: string, collection: string): Promise<void> {
    const r = await this.collection().updateOne({ _id: name }, { $set: { active_collection: collection, updated_at: new Date() } });
    if (r.matchedCount === 0) throw new Error(`projection ${name} is not registered`);
  }

  /**
   * The active collection of a projection whose writer fills its collection
   * itself (transfers): ReadModelUnavailable while the entry is `starting`
   * (registered anew, e.g. by a read store that lost its data, and not yet
   * filled), so readers never see an incomplete collection as complete.
   */
  async getFilledCollection(name: string): Promise<string> {
    const doc = await this.collection().findOne({ _id: name });
    if (doc === null) throw new ReadModelUnavailable(new Error(`projection ${name} is not registered`));
    if (doc.status === 'starting') throw new ReadModelUnavailable(new Error(`projection ${name} is being filled from the event store`));
    return doc.active_collection;
  }

  /**
   * The writer filled the collection of the entry registered at `epoch`
   * (registeredAt's answer): `running`. An entry registered anew meanwhile
   * (the store lost its data again) is left `starting`; false then.
   */
  async markFilled(name: string, epoch: string | null): Promise<boolean> {
    const r = await this.collection().updateOne(
      { _id: name, registered_at: epoch === null ? { $exists: false } : new Date(epoch) },
      { $set: { status: 'running', updated_at: new Date() } },
    );
    return r.matchedCount > 0;
  }

  /** `keepStarting`: an entry not yet filled (`starting`, see getFilledCollection) keeps that status; only its lag is written. */
  async updateStatus(name: string, status: ProjectionStatus, lag?: ProjectionLag, opts: { keepStarting?: boolean } = {}): Promise<void> {
    const set: Partial<RegistryDocument> = { status, updated_at: new Date() };
    if (lag !== undefined) {
      set.checkpoint = lag.checkpointPosition;
      set.lag = {
        events_behind: lag.eventsBehind,
        time_behind_ms: lag.timeBehindMs,
        events_per_second: lag.eventsPerSecond,
        parked_count: lag.parkedCount,
        blocked_accounts: lag.blockedAccounts,
      };
    }
    if (opts.keepStarting === true) {
      await this.collection().updateOne({ _id: name, status: { $ne: 'starting' } }, { $set: set });
      if (lag !== undefined) await this.collection().updateOne({ _id: name, status: 'starting' }, { $set: { checkpoint: set.checkpoint, lag: set.lag, updated_at: set.updated_at } });
      return;
    }
    await this.collection().updateOne({ _id: name }, { $set: set });
  }

  async list(): Promise<ProjectionRecord[]> {
    const docs = await this.collection().find({}, { useBigInt64: true }).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({
      name: d._id,
      activeCollection: d.active_collection,
      status: d.status,
      updatedAt: d.updated_at,
      lag:
        // A projection that never reported has no lag (null, or absent on some servers).
        d.lag === null || d.lag === undefined
          ? null
          : {
              checkpointPosition: d.checkpoint ?? null,
              eventsBehind: d.lag.events_behind,
              timeBehindMs: d.lag.time_behind_ms,
              eventsPerSecond: d.lag.events_per_second,
              parkedCount: d.lag.parked_count,
              blockedAccounts: d.lag.blocked_accounts,
            },
    }));
  }

  private collection() {
    return this.db.collection<RegistryDocument>(PROJECTIONS_COLLECTION);
  }
}

const isDuplicateKey = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
