import { accountStream, evolve, initialAccount, type Account, type AccountCommandType, type AccountEvent } from '../domain/index.js';
import type { StoredEvent } from './event-store.js';
import { AccountStreamDamaged } from './errors.js';
import { CommandWindow } from './command-window.js';

/** A command's type and the fingerprint of the fields that decide its effect (command-fingerprint.ts). */
export type CommandIdentity = { readonly commandType: AccountCommandType; readonly fingerprint: string };

/** Where a command's events landed and the balance right after them: the command's answer. */
export type CommandOutcome = { readonly revision: bigint; readonly position: bigint; readonly balance: bigint };

/**
 * A command already in the stream: its answer, and what its command_id was
 * used for (absent for events written before fingerprints, issue 12).
 */
export type KnownCommand = CommandOutcome & { readonly commandType?: string; readonly fingerprint?: string };

/** The answer part of a known command. */
export const outcomeOf = (k: KnownCommand): CommandOutcome => ({ revision: k.revision, position: k.position, balance: k.balance });

/**
 * An account's write-side state at a known stream revision, plus what it
 * knows of the commands already in the stream (keyed by command_id, from
 * event metadata): that is how a retry that arrives after other commands is
 * answered as the first call was, instead of appending again.
 */
export type LoadedAccount = {
  readonly accountId: string;
  readonly stream: string;
  readonly state: Account;
  /** Revision of the last event folded in; -1n when the stream does not exist. */
  readonly revision: bigint;
  /** Commit position of that event; 0n when none. */
  readonly position: bigint;
  /** occurred_at of the last event, so new events never go back in time within a stream. */
  readonly lastOccurredAt: string | undefined;
  /**
   * The outcomes of the last commands, older ids in a filter (command-window.ts).
   * Shared and grown in place by each newer version of this LoadedAccount:
   * copying it per command would make every append O(window). Only the
   * newest version is ever used (commands on one stream run one at a time).
   */
  readonly commands: CommandWindow;
};

export const emptyAccount = (accountId: string, commandWindow?: number): LoadedAccount => ({
  accountId,
  stream: accountStream(accountId),
  state: initialAccount,
  revision: -1n,
  position: 0n,
  lastOccurredAt: undefined,
  commands: new CommandWindow(commandWindow),
});

const balanceOf = (state: Account): bigint => (state.status === 'none' ? 0n : state.balance);

/** The account after one stored event (unknown types leave it as it was; an undecodable one stops the fold). */
export function evolveStored(accountId: string, state: Account, stored: StoredEvent): Account {
  if (stored.undecodable !== undefined) throw new AccountStreamDamaged(accountId, stored.eventId, stored.revision, stored.undecodable);
  return stored.event ? evolve(state, stored.event) : state;
}

/** The outcome of the command a stored event belongs to, as of that event, given the account right after it. */
export function knownCommandOf(stored: StoredEvent, state: Account): KnownCommand {
  const metadata = stored.metadata;
  return {
    revision: stored.revision,
    position: stored.position,
    balance: balanceOf(state),
    ...(metadata?.commandType === undefined ? {} : { commandType: metadata.commandType }),
    ...(metadata?.commandFingerprint === undefined ? {} : { fingerprint: metadata.commandFingerprint }),
  };
}

/** Folds one stored event in (unknown types still advance the revision; an undecodable one stops the fold). */
export function applyStored(loaded: LoadedAccount, stored: StoredEvent): LoadedAccount {
  const state = evolveStored(loaded.accountId, loaded.state, stored);
  const commandId = stored.metadata?.commandId;
  // A command's last event overwrites its earlier ones: the answer is where the command ended.
  if (commandId) loaded.commands.record(commandId, knownCommandOf(stored, state));
  return {
    ...loaded,
    state,
    revision: stored.revision,
    position: stored.position,
    lastOccurredAt: stored.metadata?.occurredAt ?? loaded.lastOccurredAt,
  };
}

/** Folds a command's just-appended events in, recording its outcome. */
export function applyAppended(
  loaded: LoadedAccount,
  events: readonly AccountEvent[],
  commandId: string,
  identity: CommandIdentity,
  occurredAt: string,
  appended: { revision: bigint; position: bigint },
): { loaded: LoadedAccount; outcome: CommandOutcome } {
  const state = events.reduce(evolve, loaded.state);
  const outcome = { revision: appended.revision, position: appended.position, balance: balanceOf(state) };
  loaded.commands.record(commandId, { ...outcome, ...identity });
  return {
    loaded: { ...loaded, state, revision: appended.revision, position: appended.position, lastOccurredAt: occurredAt },
    outcome,
  };
}

export const currentOutcome = (loaded: LoadedAccount): CommandOutcome => ({
  revision: loaded.revision,
  position: loaded.position,
  balance: balanceOf(loaded.state),
});
