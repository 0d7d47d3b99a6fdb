import type { Logger } from 'pino';
import { readFileSync } from 'node:fs';
import { redisTlsOptions, type Config } from '../src/config.js';
import { snapshotPolicy, type AccountSnapshots } from '../src/app/account-snapshot.js';
import type { LoadedAccount } from '../src/app/index.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { EsdbAccountSnapshots } from '../src/eventstore/snapshot-account-store.js';
import { SnapshotJobs } from '../src/jobs/snapshot-jobs.js';

/** The command side's part in snapshots: reads for loads, and the policy that enqueues SnapshotJobs. */
export type CommandSnapshots = {
  readonly snapshots: AccountSnapshots;
  readonly afterAppend: (loaded: LoadedAccount, previousRevision: bigint) => void;
  close(): Promise<void>;
};

export function commandSnapshots(config: Config, esdbUrl: string, redisUrl: string, logger: Logger): CommandSnapshots {
  const esdb = connectEventStore(esdbUrl);
  const redisTls = redisTlsOptions(config, readFileSync);
  const requests = new SnapshotJobs({
    redisUrl, ...(redisTls ? { redisTls } : {}), every: config.SNAPSHOT_EVERY,
    onError: (err) => logger.warn({ err: String(err) }, 'snapshot enqueue failed; the sweep will catch up'),
  });
  return {
    snapshots: new EsdbAccountSnapshots(esdb.client, { keep: 10, commandWindow: config.SNAPSHOT_EVERY }),
    afterAppend: snapshotPolicy(requests, config.SNAPSHOT_EVERY),
    close: async () => {
      await requests.close();
      await esdb.close();
    },
  };
}
