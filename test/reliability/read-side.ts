import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from 'mongodb';
import type { FoldedAccount } from './account-events.js';

/** An account as the read side shows it, in the fold's terms. */
export interface ReadSideAccount {
  readonly balance: bigint | undefined;
  readonly txCount: bigint | undefined;
  readonly revision: bigint | undefined;
  readonly transactions: number;
}

type Summary = { _id: string; balance: bigint; tx_count: bigint; revision: bigint };

/**
 * Waits (bounded) until the projector has applied every account's last
 * revision, then returns what account_summaries and account_transactions
 * hold for each account, to compare with the fold of the store.
 */
export async function readSideOf(db: Db, folded: ReadonlyMap<string, FoldedAccount>, timeoutMs: number): Promise<Map<string, ReadSideAccount>> {
  const summaries = db.collection<Summary>('account_summaries');
  const read = async (): Promise<Map<string, Summary>> =>
    new Map((await summaries.find({}, { useBigInt64: true }).toArray()).map((d) => [d._id, d]));
  let documents = await read();
  const caughtUp = (): boolean => [...folded].every(([id, f]) => documents.get(id)?.revision === f.revision);
  for (const deadline = Date.now() + timeoutMs; !caughtUp() && Date.now() < deadline; documents = await read()) await sleep(250);
  const out = new Map<string, ReadSideAccount>();
  for (const id of folded.keys()) {
    const d = documents.get(id);
    const transactions = await db.collection('account_transactions').countDocuments({ account_id: id });
    out.set(id, { balance: d?.balance, txCount: d?.tx_count, revision: d?.revision, transactions });
  }
  return out;
}

/** The fold in the read side's shape, for a toEqual against readSideOf. */
export const asReadSide = (folded: ReadonlyMap<string, FoldedAccount>): Map<string, ReadSideAccount> =>
  new Map([...folded].map(([id, f]) => [id, { balance: f.balance, txCount: BigInt(f.txCount), revision: f.revision, transactions: f.txCount }]));
