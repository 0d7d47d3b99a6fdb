import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Db } from 'mongodb';
import { TRANSFER_STREAM_PREFIX, type EventDecoder } from '../src/domain/index.js';
import { AccountLogReader } from '../src/eventstore/rebuild-source.js';
import type { RebuildJobData } from '../src/jobs/rebuild-job.js';
import { MongoTransferDocuments } from '../src/readmodels/mongo-transfer-documents.js';
import type { ProjectionRegistry } from '../src/readmodels/projection-registry.js';
import { runRebuild, type RebuildControl, type RebuildOutcome } from '../src/readmodels/rebuild.js';
import { transferAccountIndexCollection } from '../src/readmodels/transfer-account-index.js';
import { TRANSFERS_PROJECTION } from '../src/readmodels/transfer-documents.js';
import { transferRebuildTarget } from '../src/readmodels/transfer-rebuild-target.js';

export type TransferRebuildOptions = { readonly batchSize: number; readonly settleMs: number };

/**
 * RebuildJob for `transfers` (issue 15): the transfer streams' events from
 * `$all` into the job's fresh collection, then the same flip and settle as
 * the account projections, so readers (ListTransfers) and the live writer
 * (workers/transfer-documents.ts) move over through the registry without a
 * pause. Pages `$all` with readAll, filtering `transfer-` here (the filtered
 * subscription source decodes account events only).
 */
export function rebuildTransfers(
  client: EventStoreDBClient,
  db: Db,
  registry: ProjectionRegistry,
  decoder: EventDecoder,
  data: RebuildJobData,
  control: RebuildControl,
  opts: TransferRebuildOptions,
): Promise<RebuildOutcome> {
  const log = new AccountLogReader(client, TRANSFER_STREAM_PREFIX);
  const target = transferRebuildTarget(new MongoTransferDocuments(db, data.targetCollection), decoder);
  return runRebuild(log, target, {
    activeCollection: (p) => registry.getActiveCollection(p),
    registeredAt: (p) => registry.registeredAt(p),
    setActiveCollection: (p, c) => registry.setActiveCollection(p, c),
  }, {
    ...control,
    // The replaced collection's account index goes with it.
    scheduleDrop: async (c) => { await control.scheduleDrop(c); await control.scheduleDrop(transferAccountIndexCollection(c)); },
  }, { projection: TRANSFERS_PROJECTION, batchSize: opts.batchSize, settleMs: opts.settleMs });
}
