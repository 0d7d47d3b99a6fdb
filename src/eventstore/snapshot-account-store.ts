import type { EventStoreDBClient } from '@eventstore/db-client';
import type { AsOf } from '../app/account-as-of.js';
import type { AccountSnapshot, AccountSnapshots } from '../app/account-snapshot.js';
import {
  ACCOUNT_SNAPSHOT_SCHEMA_VERSION,
  decodeAccountSnapshot,
  encodeAccountSnapshot,
} from '../app/account-snapshot-codec.js';
import { SnapshotStore, type StoredSnapshot } from './snapshot-store.js';

export type SnapshotStoreOptions = {
  /** Snapshots kept per account ($maxCount). */
  readonly keep: number;
  /** Command outcomes kept in a snapshot: those of its last `commandWindow` revisions. */
  readonly commandWindow: number;
  readonly schemaVersion?: number;
};

/** AccountSnapshots on EventStoreDB streams `snapshot-account-<id>`: the write side needs no other store. */
export class EsdbAccountSnapshots implements AccountSnapshots {
  private readonly store: SnapshotStore;
  private readonly schemaVersion: number;

  constructor(client: EventStoreDBClient, private readonly opts: SnapshotStoreOptions) {
    this.store = new SnapshotStore(client, opts.keep);
    this.schemaVersion = opts.schemaVersion ?? ACCOUNT_SNAPSHOT_SCHEMA_VERSION;
  }

  async latest(accountId: string): Promise<AccountSnapshot | undefined> {
    return this.first(accountId, () => true);
  }

  async atOrBefore(accountId: string, asOf: AsOf): Promise<AccountSnapshot | undefined> {
    if ('revision' in asOf) return this.first(accountId, (s) => s.revision <= asOf.revision);
    const t = asOf.timestamp.getTime();
    return this.first(accountId, (s) => s.occurredAt !== undefined && Date.parse(s.occurredAt) <= t);
  }

  async save(snapshot: AccountSnapshot): Promise<void> {
    await this.store.write(snapshot.loaded.accountId, {
      state: encodeAccountSnapshot(snapshot, this.opts.commandWindow),
      revision: snapshot.loaded.revision,
      schemaVersion: this.schemaVersion,
      occurredAt: snapshot.loaded.lastOccurredAt,
    });
  }

  /** Newest snapshot of our schema version that `accept` takes and that decodes. */
  private async first(accountId: string, accept: (s: StoredSnapshot) => boolean): Promise<AccountSnapshot | undefined> {
    let decoded: AccountSnapshot | undefined;
    await this.store.find(accountId, (s) => {
      decoded = undefined;
      if (s.schemaVersion !== this.schemaVersion || !accept(s)) return false;
      decoded = decodeAccountSnapshot(s.state, s.revision);
      return decoded !== undefined && decoded.loaded.accountId === accountId;
    });
    return decoded;
  }
}
