import { z } from 'zod';
import type { Account } from '../domain/index.js';
import type { AccountSnapshot } from './account-snapshot.js';
import { CommandIdFilter } from './command-id-filter.js';
import { CommandWindow, DEFAULT_COMMAND_WINDOW } from './command-window.js';

/**
 * Version of the snapshot JSON below. Change it whenever Account,
 * LoadedAccount or this encoding changes: older snapshots are then ignored
 * (their accounts load from the stream) until new ones are taken.
 */
export const ACCOUNT_SNAPSHOT_SCHEMA_VERSION = 5;

const int = z.string().regex(/^-?[0-9]+$/).transform((s) => BigInt(s));
const accountJson = z.discriminatedUnion('status', [
  z.object({ status: z.literal('none') }),
  z.object({
    status: z.enum(['open', 'closed']),
    account_id: z.string(),
    owner_id: z.string(),
    currency: z.string(),
    balance: int,
    tx_count: z.number().int().nonnegative(),
    /** Event ids of the reversed transactions (v4, issue 15). */
    reversed: z.array(z.string()),
    /** Money in flight out of the account (v5, issue 15). */
    in_flight_out: int,
  }),
]);
const snapshotJson = z.object({
  account_id: z.string(),
  stream: z.string(),
  account: accountJson,
  position: int,
  last_occurred_at: z.string().optional(),
  opened_at: z.string().optional(),
  last_tx_at: z.string().optional(),
  closed_at: z.string().optional(),
  /** [command_id, revision, position, balance, command_type, fingerprint] (v3: the last two, '' when unknown; issue 12) */
  commands: z.array(z.tuple([z.string(), int, int, int, z.string(), z.string()])),
  /** Every command id up to this revision (v2): [capacity, count, base64 bits] per filter segment. */
  command_filter: z.array(z.tuple([z.number().int().positive(), z.number().int().nonnegative(), z.string()])),
});
export type AccountSnapshotJson = z.input<typeof snapshotJson>;

const encodeAccount = (a: Account) =>
  a.status === 'none'
    ? { status: a.status }
    : { status: a.status, account_id: a.accountId, owner_id: a.ownerId, currency: a.currency, balance: a.balance.toString(), tx_count: a.txCount, reversed: [...a.reversed], in_flight_out: a.inFlightOut.toString() };

/** Keeps the outcomes of commands in the last `commandWindow` revisions, and every command id in a filter. */
export function encodeAccountSnapshot(s: AccountSnapshot, commandWindow: number): AccountSnapshotJson {
  const oldest = s.loaded.revision - BigInt(commandWindow);
  const commands: [string, string, string, string, string, string][] = [];
  const filter = s.loaded.commands.older.copy();
  for (const [id, o] of s.loaded.commands.entries()) {
    filter.add(id);
    if (o.revision > oldest) commands.push([id, o.revision.toString(), o.position.toString(), o.balance.toString(), o.commandType ?? '', o.fingerprint ?? '']);
  }
  return {
    account_id: s.loaded.accountId,
    stream: s.loaded.stream,
    account: encodeAccount(s.loaded.state),
    position: s.loaded.position.toString(),
    ...(s.loaded.lastOccurredAt === undefined ? {} : { last_occurred_at: s.loaded.lastOccurredAt }),
    ...(s.openedAt === undefined ? {} : { opened_at: s.openedAt }),
    ...(s.lastTxAt === undefined ? {} : { last_tx_at: s.lastTxAt }),
    ...(s.closedAt === undefined ? {} : { closed_at: s.closedAt }),
    commands,
    command_filter: filter.toJson().map(([capacity, count, bits]) => [capacity, count, bits]),
  };
}

/** undefined when the JSON is not a snapshot of this schema (treated as no snapshot). */
export function decodeAccountSnapshot(json: unknown, revision: bigint): AccountSnapshot | undefined {
  const r = snapshotJson.safeParse(json);
  if (!r.success) return undefined;
  const d = r.data;
  const state: Account = d.account.status === 'none'
    ? { status: 'none' }
    : { status: d.account.status, accountId: d.account.account_id, ownerId: d.account.owner_id, currency: d.account.currency, balance: d.account.balance, txCount: d.account.tx_count, reversed: new Set(d.account.reversed), inFlightOut: d.account.in_flight_out };
  // Room for the whole list and for events folded on top (takeSnapshot); a handler re-limits it to its own window (load-account.ts).
  const commands = new CommandWindow(Math.max(DEFAULT_COMMAND_WINDOW, d.commands.length), CommandIdFilter.fromJson(d.command_filter));
  for (const [id, revision, position, balance, commandType, fingerprint] of d.commands)
    commands.record(id, { revision, position, balance, ...(commandType === '' ? {} : { commandType }), ...(fingerprint === '' ? {} : { fingerprint }) });
  return {
    loaded: { accountId: d.account_id, stream: d.stream, state, revision, position: d.position, lastOccurredAt: d.last_occurred_at, commands },
    openedAt: d.opened_at,
    lastTxAt: d.last_tx_at,
    closedAt: d.closed_at,
  };
}
