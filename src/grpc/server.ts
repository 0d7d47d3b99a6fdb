import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { CommandHandler, AccountEventStore } from '../app/index.js';
import type { AccountSnapshots } from '../app/account-snapshot.js';
import { AccountAccess } from '../app/account-access.js';
import { accountCommandsService } from './account-commands-service.js';
import { accountQueriesService, type AccountReadModelQueries } from './account-queries-service.js';
import type { Transfers } from '../app/transfers.js';
import { AccountCommands } from './gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from './gen/ledger/v1/account_queries_pb.js';
import { reflectionService } from './reflection.js';
import { requestFramingGuard } from './request-framing-guard.js';
import { grpcServiceDefinition } from './service-definition.js';
import type { UnaryDeps } from './unary-call.js';

export type ApiServerOptions = UnaryDeps & {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Largest request accepted (GRPC_MAX_MESSAGE_BYTES); larger ones get RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes: number;
  readonly handler: CommandHandler;
  readonly store: AccountEventStore;
  readonly readModel?: AccountReadModelQueries;
  /** TransferMoney and GetTransfer (issue 15); without it they answer UNIMPLEMENTED. */
  readonly transfers?: Transfers;
  /** Snapshots for as-of queries (issue 6); without them, as-of folds from the first event. */
  readonly snapshots?: AccountSnapshots;
  readonly credentials?: ServerCredentials;
  /** How long shutdown waits for in-flight calls before cancelling them. */
  readonly shutdownGraceMs?: number;
};

export type ApiServer = {
  readonly port: number;
  /** Stop accepting, report NOT_SERVING, let in-flight calls finish (bounded), then close. */
  close(): Promise<void>;
};

const SERVICES = ['ledger.v1.AccountCommands', 'ledger.v1.AccountQueries'];

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const server = new Server({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': opts.maxMessageBytes,
    // Channelz bookkeeping costs CPU on every call and nothing here reads it.
    'grpc.enable_channelz': 0,
    interceptors: [requestFramingGuard()],
  });
  // Authorization (issue 13) asks the command handler for owners: its cache then serves the command too.
  const access = new AccountAccess((accountId) => opts.handler.ownerOf(accountId));
  server.addService(grpcServiceDefinition(AccountCommands, { malformedAsValue: true }), accountCommandsService(opts.handler, { ...opts, access }));
  server.addService(
    grpcServiceDefinition(AccountQueries, { malformedAsValue: true }),
    accountQueriesService({ ...opts, access }),
  );
  const health = new HealthImplementation(Object.fromEntries(['', ...SERVICES].map((s) => [s, 'SERVING' as const])));
  health.addToServer(server);
  reflectionService().addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, opts.credentials ?? ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  opts.logger.info({ port, host: opts.host }, 'gRPC API listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      for (const s of ['', ...SERVICES]) health.setStatus(s, 'NOT_SERVING');
      const force = setTimeout(() => {
        opts.logger.warn('in-flight calls outlived the shutdown grace period; cancelling them');
        server.forceShutdown();
        resolve();
      }, opts.shutdownGraceMs ?? 10_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return closing;
  };
  return { port, close };
}
