import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import { ACCOUNT_STREAM_PREFIX, MalformedEvent, moneyAuditor, plainEventDecoder, type EventDecoder, type MoneyAudit } from '../domain/index.js';

/**
 * The money-conservation audit over the whole event store (issue 15): every
 * account event of $all in log order, decoded through the shared pipeline,
 * folded by auditMoney. An event the pipeline refuses is reported as a
 * violation (its money cannot be counted), not skipped silently.
 */
export async function auditEventStore(client: EventStoreDBClient, decoder: EventDecoder = plainEventDecoder): Promise<MoneyAudit & { readonly events: number }> {
  // One event at a time: the log may be far larger than memory.
  const auditor = moneyAuditor();
  let events = 0;
  const undecodable: string[] = [];
  // readAll takes no server-side filter in this client: the prefix check below is the filter.
  for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
    const e = resolved.event;
    if (!e || !e.isJson || !e.streamId.startsWith(ACCOUNT_STREAM_PREFIX)) continue;
    const accountId = e.streamId.slice(ACCOUNT_STREAM_PREFIX.length);
    try {
      auditor.observe({ accountId, event: decoder.decode({ eventId: e.id, streamId: e.streamId, revision: e.revision, type: e.type, data: e.data, metadata: e.metadata }) });
      events += 1;
    } catch (err) {
      if (!(err instanceof MalformedEvent)) throw err;
      undecodable.push(`event ${e.id} (${e.streamId}@${e.revision}) does not decode: ${err.message}`);
    }
  }
  const audit = auditor.result();
  return { ...audit, violations: [...undecodable, ...audit.violations], events };
}
