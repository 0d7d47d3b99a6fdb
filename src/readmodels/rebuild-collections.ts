import type { Db } from 'mongodb';
import { ensureProjectionCollections } from './read-model-schema.js';
import type { RebuildCollections } from './rebuild-target.js';
import type { ReadStoreProfile } from './read-store-profile.js';

/** Drops a collection; one that is not there is fine (servers word that differently). */
export async function dropCollection(db: Db, name: string): Promise<void> {
  try {
    await db.collection(name).drop();
  } catch (err) {
    if (err instanceof Error && /ns not found|NamespaceNotFound|does not exist/i.test(err.message)) return;
    throw err;
  }
}

/** Fresh rebuild collections get the same indexes as the live ones; dropping a missing one is fine. */
export function mongoRebuildCollections(db: Db, opts: Pick<ReadStoreProfile, 'guardIndex'> = { guardIndex: false }): RebuildCollections {
  return {
    create: (targets) => ensureProjectionCollections(db, targets, opts),
    drop: (name) => dropCollection(db, name),
  };
}
