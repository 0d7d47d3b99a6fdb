import { hash } from 'node:crypto';
import type { AccountCommand, AccountCommandType } from '../domain/index.js';
import { IdempotencyKeyReused } from './errors.js';
import { outcomeOf, type CommandIdentity, type CommandOutcome, type KnownCommand } from './loaded-account.js';

/**
 * What an idempotency key (command_id) was first used for: the command's
 * type and a digest of every field that decides its effect. Stored in each
 * event's metadata, so a later request with the same command_id is answered
 * as a retry only when it is the same command (issue 12); expected_revision
 * is a concurrency guard, not part of the effect, and is left out.
 */
export type { CommandIdentity } from './loaded-account.js';

export function commandIdentity(command: AccountCommand): CommandIdentity {
  return { commandType: command.type, fingerprint: digest([command.type, ...effectFields(command)]) };
}

/**
 * The answer to a command whose command_id the stream already holds: the
 * first answer when it is the same command (a retry), else
 * IdempotencyKeyReused naming the original command type. A command stored
 * before fingerprints existed matches any (the behaviour it was written under).
 */
export function answerToRetry(commandId: string, known: KnownCommand, asked: CommandIdentity): CommandOutcome {
  if (known.fingerprint !== undefined && known.fingerprint !== asked.fingerprint)
    throw new IdempotencyKeyReused(commandId, known.commandType ?? 'unknown command', asked.commandType);
  return outcomeOf(known);
}

function effectFields(command: AccountCommand): readonly string[] {
  switch (command.type) {
    case 'OpenAccount':
      return [command.data.accountId, command.data.ownerId, command.data.currency];
    case 'Deposit':
    case 'Withdraw':
      return [command.data.accountId, command.data.amount.toString(), command.data.currency];
    case 'CloseAccount':
      return [command.data.accountId, command.data.reason ?? ''];
    case 'ReverseTransaction':
      // `original` is looked up by the app from transactionId: not a choice of the caller.
      return [command.data.accountId, command.data.transactionId, command.data.reason ?? ''];
    case 'TransferMoney':
      return [command.data.accountId, command.data.toAccountId, command.data.amount.toString(), command.data.currency];
    case 'CreditTransfer':
      return [command.data.accountId, command.data.transferId, command.data.fromAccountId, command.data.amount.toString(), command.data.currency];
    case 'SettleTransferDebit':
      return [command.data.accountId, command.data.transferId, command.data.amount.toString()];
    case 'RefundTransfer':
      // The reason is not part of the effect: two process instances may word it differently.
      return [command.data.accountId, command.data.transferId, command.data.amount.toString()];
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

// JSON of the list keeps field boundaries unambiguous ("ab","c" vs "a","bc"). One-shot hash:
// the same digest as a createHash object's, without the object (every append computes one).
const digest = (fields: readonly string[]): string =>
  hash('sha256', JSON.stringify(fields), 'base64url').slice(0, 22);
