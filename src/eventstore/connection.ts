import { EventStoreDBClient } from '@eventstore/db-client';

/** One client for the process; entry points open it and close it (STYLE.md §9). */
export type EventStoreConnection = {
  readonly client: EventStoreDBClient;
  close(): Promise<void>;
};

/** `esdb://host:2113?tls=false` (ESDB_URL, or the embedded server's string). */
export function connectEventStore(connectionString: string): EventStoreConnection {
  const client = EventStoreDBClient.connectionString(connectionString);
  return { client, close: () => client.dispose() };
}
