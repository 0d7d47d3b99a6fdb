import { StreamNotFoundError } from '@eventstore/db-client';
import type { EventStoreConnection } from '../../src/eventstore/connection.js';

export type RecordedInTest = { type: string; id: string; revision: bigint; metadata: unknown; commit: bigint | undefined };

/** What the store holds for an account, read with the client as any user would. */
export async function eventsOf(esdb: EventStoreConnection, accountId: string): Promise<RecordedInTest[]> {
  const out: RecordedInTest[] = [];
  try {
    for await (const { event } of esdb.client.readStream(`account-${accountId}`)) {
      if (event) out.push({ type: event.type, id: event.id, revision: event.revision, metadata: event.metadata, commit: event.position?.commit });
    }
  } catch (e) {
    if (!(e instanceof StreamNotFoundError)) throw e;
  }
  return out;
}

export const eventTypesOf = async (esdb: EventStoreConnection, accountId: string): Promise<string[]> =>
  (await eventsOf(esdb, accountId)).map((e) => e.type);
