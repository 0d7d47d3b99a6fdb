import { AccessDeniedError, EventStoreDBClient } from '@eventstore/db-client';

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

/**
 * The event store refused Ledger's credentials (ESDB_USERNAME/ESDB_PASSWORD,
 * or those in ESDB_URL), or let an anonymous Ledger at no stream: a secure
 * node answers every later call the same way, so a process stops at start
 * with this, naming the user and never the password.
 */
export class EventStoreCredentialsRefused extends Error {
  override readonly name = 'EventStoreCredentialsRefused';
}

// A user stream nobody writes: reading it needs nothing but valid credentials under the default ACLs.
const CREDENTIALS_CHECK_STREAM = 'ledger-credentials-check';
const UNAUTHENTICATED = 16;

/**
 * One read as the connection string's user. Refused credentials throw
 * EventStoreCredentialsRefused; anything else (the stream not found, the
 * store unreachable: it may come up later) is left to the running process.
 */
export async function checkEventStoreCredentials(connectionString: string): Promise<void> {
  const { client, close } = connectEventStore(connectionString);
  try {
    for await (const _ of client.readStream(CREDENTIALS_CHECK_STREAM, { maxCount: 1, deadline: 5_000 })) break;
  } catch (e) {
    if (!(e instanceof AccessDeniedError)) return;
    const user = userOf(connectionString);
    const who = user === undefined ? 'no ESDB_USERNAME/ESDB_PASSWORD given' : `ESDB_USERNAME '${user}'`;
    throw new EventStoreCredentialsRefused(
      e.code === UNAUTHENTICATED
        ? `the event store refused the credentials of ${who} (UNAUTHENTICATED: wrong ESDB_PASSWORD, unknown or disabled user)`
        : `the event store denied access (PERMISSION_DENIED) with ${who}: a secure node needs a user that may write and read Ledger's streams`,
    );
  } finally {
    await close();
  }
}

const userOf = (connectionString: string): string | undefined => {
  const authority = connectionString.slice(connectionString.indexOf('://') + 3).split(/[/?]/)[0] ?? '';
  const at = authority.lastIndexOf('@');
  return at < 0 ? undefined : decodeURIComponent(authority.slice(0, at).split(':')[0] ?? '');
};
