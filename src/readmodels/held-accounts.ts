import type { Db } from 'mongodb';
import { HOLDS_COLLECTION } from './mongo-read-model-store.js';
import type { AccountHold } from './read-model-store.js';

type HoldDocument = { _id: string; revision: bigint; event_id: string; reason: string };

/**
 * The accounts the live projector holds, each behind the event it could not
 * read or apply (parked), lowest revision first: what `ledger-admin list`
 * shows, so which event is parked is not only in the logs (issue 14).
 */
export async function listHeldAccounts(db: Db, limit: number): Promise<AccountHold[]> {
  const docs = await db.collection<HoldDocument>(HOLDS_COLLECTION)
    .find({}, { useBigInt64: true, maxTimeMS: 5_000 })
    .sort({ revision: 1, _id: 1 })
    .limit(limit)
    .toArray();
  return docs.map((d) => ({ accountId: d._id, revision: BigInt(d.revision), eventId: d.event_id, reason: d.reason }));
}
