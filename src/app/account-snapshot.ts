import type { LoadedAccount } from './loaded-account.js';

/** A point of an account's history: a moment, or a stream revision. */
export type AsOf = { readonly timestamp: Date } | { readonly revision: bigint };

/**
 * A snapshot of one account: its write-side state at a revision, the
 * outcomes of the commands of its last events (so a retry that arrives
 * after the snapshot is still recognised, within that window), and the
 * times an as-of query answers with.
 */
export type AccountSnapshot = {
  readonly loaded: LoadedAccount;
  readonly openedAt: string | undefined;
  readonly lastTxAt: string | undefined;
  readonly closedAt: string | undefined;
};

/** Snapshots as the app needs them (implemented in src/eventstore/snapshot-account-store.ts). */
export interface AccountSnapshots {
  /** Newest snapshot of the current schema version; undefined when none is usable. */
  latest(accountId: string): Promise<AccountSnapshot | undefined>;
  /** Newest usable snapshot at or before a point (a revision, or a time its last event is not after). */
  atOrBefore(accountId: string, asOf: AsOf): Promise<AccountSnapshot | undefined>;
  save(snapshot: AccountSnapshot): Promise<void>;
}

/** Where the command side asks for a snapshot (a BullMQ job in src/jobs); never fails a command. */
export interface SnapshotRequests {
  request(accountId: string, revision: bigint): void;
}

/**
 * The snapshot policy: an append that moved the stream from `before` (-1n: new
 * stream) to `after` and crossed a multiple of `every` events asks for one.
 * Plugged into CommandHandlerOptions.afterAppend.
 */
export function snapshotPolicy(requests: SnapshotRequests, every: number): (loaded: LoadedAccount, before: bigint) => void {
  const n = BigInt(every);
  return (loaded, before) => {
    if ((before + 1n) / n < (loaded.revision + 1n) / n) requests.request(loaded.accountId, loaded.revision);
  };
}

/**
 * A snapshot is an optimisation: one that cannot be read (store down,
 * unreadable, other schema) means folding from the start, never an error.
 */
export async function usableSnapshot(find: () => Promise<AccountSnapshot | undefined>): Promise<AccountSnapshot | undefined> {
  try {
    return await find();
  } catch {
    return undefined;
  }
}
