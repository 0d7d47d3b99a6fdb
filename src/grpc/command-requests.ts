import type { CommandEnvelope } from '../app/index.js';
import type { Principal } from '../app/principal.js';
import type {
  CloseAccountRequest,
  DepositRequest,
  OpenAccountRequest,
  ReverseTransactionRequest,
  TransferMoneyRequest,
  WithdrawRequest,
} from './gen/ledger/v1/account_commands_pb.js';
import { RequestFields } from './request-fields.js';
import { transferIdFor } from '../app/transfer-ids.js';
import type { TransferMoney } from '../domain/index.js';

/** What the transport knows about a call besides its message. */
export type CallContext = {
  readonly correlationId?: string;
  readonly deadline?: number;
  /** The authenticated caller (issue 13); the server always sets it, ANONYMOUS under AUTH_MODE=none. */
  readonly principal?: Principal;
};

const MAX_OWNER_ID = 128;
const MAX_REASON = 500;

/** protobuf requests → command envelopes, validated before the app runs. */
export function openAccountEnvelope(req: OpenAccountRequest, ctx: CallContext): CommandEnvelope {
  const f = new RequestFields();
  const commandId = f.uuid('command_id', req.commandId);
  const accountId = f.uuid('account_id', req.accountId);
  const ownerId = f.text('owner_id', req.ownerId, MAX_OWNER_ID, true);
  const currency = f.currency('currency', req.currency);
  f.done();
  return envelope({ type: 'OpenAccount', data: { accountId, ownerId, currency } }, commandId, undefined, ctx);
}

export function depositEnvelope(req: DepositRequest, ctx: CallContext): CommandEnvelope {
  return moneyEnvelope('Deposit', req, ctx);
}

export function withdrawEnvelope(req: WithdrawRequest, ctx: CallContext): CommandEnvelope {
  return moneyEnvelope('Withdraw', req, ctx);
}

export function closeAccountEnvelope(req: CloseAccountRequest, ctx: CallContext): CommandEnvelope {
  const f = new RequestFields();
  const commandId = f.uuid('command_id', req.commandId);
  const accountId = f.uuid('account_id', req.accountId);
  const reason = f.text('reason', req.reason, MAX_REASON, false);
  f.done();
  const data = reason === '' ? { accountId } : { accountId, reason };
  return envelope({ type: 'CloseAccount', data }, commandId, req.expectedRevision, ctx);
}

/** `original` is left for the command handler to find in the stream (issue 15). */
export function reverseTransactionEnvelope(req: ReverseTransactionRequest, ctx: CallContext): CommandEnvelope {
  const f = new RequestFields();
  const commandId = f.uuid('command_id', req.commandId);
  const accountId = f.uuid('account_id', req.accountId);
  const transactionId = f.uuid('transaction_id', req.transactionId);
  const reason = f.text('reason', req.reason, MAX_REASON, false);
  f.done();
  const data = { accountId, transactionId, original: undefined, ...(reason === '' ? {} : { reason }) };
  return envelope({ type: 'ReverseTransaction', data }, commandId, req.expectedRevision, ctx);
}

/** The transfer id derives from the source and the command_id (issue 15): a retry names the same transfer. */
export function transferMoneyEnvelope(req: TransferMoneyRequest, ctx: CallContext): CommandEnvelope & { readonly command: TransferMoney } {
  const f = new RequestFields();
  const commandId = f.uuid('command_id', req.commandId);
  const accountId = f.uuid('from_account_id', req.fromAccountId);
  const toAccountId = f.uuid('to_account_id', req.toAccountId);
  const amount = f.amount('amount', req.amount);
  const currency = f.currency('currency', req.currency);
  if (toAccountId !== '' && toAccountId === accountId) f.add('to_account_id', 'must differ from from_account_id');
  f.done();
  const command: TransferMoney = { type: 'TransferMoney', data: { accountId, transferId: transferIdFor(accountId, commandId), toAccountId, amount, currency } };
  return { ...envelope(command, commandId, undefined, ctx), command };
}

function moneyEnvelope(type: 'Deposit' | 'Withdraw', req: DepositRequest | WithdrawRequest, ctx: CallContext): CommandEnvelope {
  const f = new RequestFields();
  const commandId = f.uuid('command_id', req.commandId);
  const accountId = f.uuid('account_id', req.accountId);
  const amount = f.amount('amount', req.amount);
  const currency = f.currency('currency', req.currency);
  f.done();
  return envelope({ type, data: { accountId, amount, currency } }, commandId, req.expectedRevision, ctx);
}

function envelope(
  command: CommandEnvelope['command'],
  commandId: string,
  expectedRevision: bigint | undefined,
  ctx: CallContext,
): CommandEnvelope {
  return {
    command,
    commandId,
    ...(expectedRevision === undefined ? {} : { expectedRevision }),
    ...(ctx.correlationId === undefined ? {} : { correlationId: ctx.correlationId }),
    ...(ctx.deadline === undefined ? {} : { deadline: ctx.deadline }),
    ...(ctx.principal === undefined ? {} : { principal: ctx.principal }),
  };
}
