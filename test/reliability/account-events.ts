import { START, type EventStoreDBClient } from '@eventstore/db-client';

/** One event of an `account-*` stream, as the suites check it. */
export interface AccountEventSeen {
  readonly stream: string;
  readonly type: string;
  readonly commandId: string | undefined;
  readonly data: unknown;
  readonly revision: bigint;
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
    out.push({ stream: e.streamId, type: e.type, commandId, data: e.data, revision: e.revision });
  }
  return out;
}

/** What an account's summary must say, folded here from the raw events (independently of src/readmodels). */
export interface FoldedAccount {
  readonly balance: bigint;
  readonly txCount: number;
  readonly revision: bigint;
}

export function foldAccounts(events: readonly AccountEventSeen[]): Map<string, FoldedAccount> {
  const out = new Map<string, FoldedAccount>();
  for (const e of events) {
    const id = e.stream.slice('account-'.length);
    const prev = out.get(id) ?? { balance: 0n, txCount: 0, revision: -1n };
    const amount = typeof e.data === 'object' && e.data !== null && 'amount' in e.data ? BigInt(String(e.data.amount)) : 0n;
    const money = e.type === 'MoneyDeposited' ? amount : e.type === 'MoneyWithdrawn' ? -amount : undefined;
    out.set(id, {
      balance: prev.balance + (money ?? 0n),
      txCount: prev.txCount + (money === undefined ? 0 : 1),
      revision: e.revision > prev.revision ? e.revision : prev.revision,
    });
  }
  return out;
}
