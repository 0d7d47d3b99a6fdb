import { START, type EventStoreDBClient } from '@eventstore/db-client';

/** One event of an `account-*` stream, as the suites check it. */
export interface AccountEventSeen {
  readonly stream: string;
  readonly type: string;
  readonly commandId: string | undefined;
  readonly data: unknown;
}

/** Every event of every account stream, read from `$all` with the client, as any user would. */
export async function readAccountEvents(client: EventStoreDBClient): Promise<AccountEventSeen[]> {
  const out: AccountEventSeen[] = [];
  for await (const resolved of client.readAll({ fromPosition: START, direction: 'forwards', maxCount: 10_000_000 })) {
    const e = resolved.event;
    if (e === undefined || !e.streamId.startsWith('account-')) continue;
    const metadata = e.metadata;
    const commandId = typeof metadata === 'object' && metadata !== null && 'command_id' in metadata && typeof metadata.command_id === 'string'
      ? metadata.command_id : undefined;
    out.push({ stream: e.streamId, type: e.type, commandId, data: e.data });
  }
  return out;
}
