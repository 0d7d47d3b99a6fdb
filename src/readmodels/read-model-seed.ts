import type { AccountProjectionWriter } from './account-projection-writer.js';
import { decodeOrSkip, type AccountEventDecoder } from './event-repairs.js';
import type { ProjectionTargets } from './read-model-store.js';
import type { RebuildSource } from './rebuild.js';

export type SeedResult = { readonly events: number; readonly pages: number };

/**
 * Fills the live collections from the log, from `$all`'s start to its head,
 * with the projector's own writer: for a read store that keeps nothing across
 * restarts (the embedded mongo-java-server). Re-applying what is there
 * already is a no-op (revision guard), so it is safe beside a running
 * projector and after a partial seed. An undecodable event is left out: the
 * account's next event shows a gap, the writer reads the stream, meets it
 * and holds the account, as the live projector does.
 */
export async function seedReadModel(
  source: RebuildSource,
  writer: AccountProjectionWriter,
  targets: ProjectionTargets,
  decode: AccountEventDecoder,
  batchSize: number,
): Promise<SeedResult> {
  let after: Awaited<ReturnType<RebuildSource['page']>>['last'];
  let events = 0;
  let pages = 0;
  for (;;) {
    const page = await source.page(after, batchSize);
    const recorded = page.events.flatMap((e) => decodeOrSkip(decode, e));
    if (recorded.length > 0) await writer.project(targets, recorded);
    events += page.events.length;
    pages += 1;
    after = page.last;
    if (page.atHead) return { events, pages };
  }
}
