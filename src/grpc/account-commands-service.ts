import { create } from '@bufbuild/protobuf';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CommandEnvelope, CommandHandler, HandledCommand } from '../app/index.js';
import type { AccountAccess } from '../app/account-access.js';
import { ANONYMOUS } from '../app/principal.js';
import {
  closeAccountEnvelope,
  depositEnvelope,
  openAccountEnvelope,
  reverseTransactionEnvelope,
  transferMoneyEnvelope,
  type CallContext,
  withdrawEnvelope,
} from './command-requests.js';
import {
  CloseAccountResponseSchema,
  CommandResultSchema,
  DepositResponseSchema,
  OpenAccountResponseSchema,
  ReverseTransactionResponseSchema,
  TransferMoneyResponseSchema,
  WithdrawResponseSchema,
  type CommandResult,
} from './gen/ledger/v1/account_commands_pb.js';
import { unaryCall, type UnaryAnswer, type UnaryDeps } from './unary-call.js';
import type { Transfers } from '../app/transfers.js';
import { transferStatusOf } from './transfer-messages.js';
import { status as grpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';

/** Trailing metadata on a command answer that was retried or a duplicate (absent means 0 / false). */
export const RETRIES_TRAILER = 'x-ledger-conflict-retries';
export const DUPLICATE_TRAILER = 'x-ledger-duplicate';

/** AccountCommands: validate, hand to the command handler, answer where the events landed. */
export function accountCommandsService(
  handler: CommandHandler,
  deps: UnaryDeps & { readonly access: AccountAccess; readonly transfers?: Transfers },
): UntypedServiceImplementation {
  const { transfers } = deps;
  const command = <Req, Res>(
    name: string,
    toEnvelope: (req: Req, ctx: CallContext) => CommandEnvelope,
    toResponse: (result: CommandResult) => Res,
  ) =>
    unaryCall<Req, Res>(name, 'command', deps, async (req, ctx): Promise<UnaryAnswer<Res>> => {
      const envelope = toEnvelope(req, ctx);
      await deps.access.command(ctx.principal ?? ANONYMOUS, envelope.command);
      const handled = await handler.handle(envelope);
      if (handled.retries > 0) for (let i = 0; i < handled.retries; i++) deps.metrics?.conflictRetried(name);
      return { response: toResponse(commandResult(handled)), trailer: trailer(handled), duplicate: handled.duplicate };
    });

  return {
    openAccount: command('OpenAccount', openAccountEnvelope, (result) => create(OpenAccountResponseSchema, { result })),
    deposit: command('Deposit', depositEnvelope, (result) => create(DepositResponseSchema, { result })),
    withdraw: command('Withdraw', withdrawEnvelope, (result) => create(WithdrawResponseSchema, { result })),
    closeAccount: command('CloseAccount', closeAccountEnvelope, (result) => create(CloseAccountResponseSchema, { result })),
    reverseTransaction: command('ReverseTransaction', reverseTransactionEnvelope, (result) => create(ReverseTransactionResponseSchema, { result })),
    transferMoney: transfers
      ? unaryCall('TransferMoney', 'command', deps, async (req: Parameters<typeof transferMoneyEnvelope>[0], ctx) => {
          const envelope = transferMoneyEnvelope(req, ctx);
          await deps.access.command(ctx.principal ?? ANONYMOUS, envelope.command);
          const { handled, transfer } = await transfers.transferMoney(envelope);
          const response = create(TransferMoneyResponseSchema, { result: commandResult(handled), transferId: transfer.transferId, status: transferStatusOf(transfer.status) });
          return { response, trailer: trailer(handled), duplicate: handled.duplicate };
        })
      : (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
          callback({ code: grpcStatus.UNIMPLEMENTED, details: 'TransferMoney is not served by this server (no transfer streams configured)' }),
  };
}

const commandResult = (h: HandledCommand): CommandResult =>
  create(CommandResultSchema, { revision: h.revision, commitPosition: h.position, balance: h.balance });

// Only the unusual is sent: headers cost encoding on every call.
const trailer = (h: HandledCommand): Record<string, string> => ({
  ...(h.retries > 0 ? { [RETRIES_TRAILER]: String(h.retries) } : {}),
  ...(h.duplicate ? { [DUPLICATE_TRAILER]: 'true' } : {}),
});
