import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { status, type ServerUnaryCall, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { getAccountAsOf, type AccountAsOf, type AccountEventStore, type AsOf } from '../app/index.js';
import type { AccountSnapshots } from '../app/account-snapshot.js';
import type { AccountAccess } from '../app/account-access.js';
import { ANONYMOUS } from '../app/principal.js';
import type { CallContext } from './command-requests.js';
import { AccountSchema, AccountStatus, type Account } from './gen/ledger/v1/account_pb.js';
import {
  GetAccountAsOfResponseSchema,
  GetTransferResponseSchema,
  type GetTransferRequest,
  type GetAccountAsOfRequest,
  type GetAccountAsOfResponse,
  type GetAccountRequest,
  type GetAccountResponse,
  type ListAccountsByOwnerRequest,
  type ListAccountsByOwnerResponse,
  type ListTransactionsRequest,
  type ListTransactionsResponse,
  type ListTransfersRequest,
  type ListTransfersResponse,
} from './gen/ledger/v1/account_queries_pb.js';
import { RequestFields } from './request-fields.js';
import { unaryCall, type UnaryDeps } from './unary-call.js';
import type { Transfers } from '../app/transfers.js';
import { transferMessage } from './transfer-messages.js';

/** A GetTransfer that waits without a deadline still ends. */
const DEFAULT_TRANSFER_WAIT_MS = 5_000;

/**
 * The read-model side of AccountQueries (MongoDB projections), passed in by
 * the entry point once the projections issue provides it. Until then those
 * three RPCs answer UNIMPLEMENTED.
 */
export interface AccountReadModelQueries {
  getAccount(req: GetAccountRequest, ctx: CallContext): Promise<GetAccountResponse>;
  listAccountsByOwner(req: ListAccountsByOwnerRequest, ctx: CallContext): Promise<ListAccountsByOwnerResponse>;
  listTransactions(req: ListTransactionsRequest, ctx: CallContext): Promise<ListTransactionsResponse>;
  /** Absent: ListTransfers answers UNIMPLEMENTED (a read model without the transfers collection). */
  listTransfers?(req: ListTransfersRequest, ctx: CallContext): Promise<ListTransfersResponse>;
}

export type AccountQueriesDeps = UnaryDeps & {
  /** Event store for GetAccountAsOf, which folds the stream itself (exact, no read model). */
  readonly store: AccountEventStore;
  /** When given, as-of queries start from the nearest snapshot at or before the point (issue 6). */
  readonly snapshots?: AccountSnapshots;
  readonly readModel?: AccountReadModelQueries;
  /** Per-owner authorization (issue 13), checked before each query reads anything. */
  readonly access: AccountAccess;
  /** Transfer streams for GetTransfer (issue 15); without them it answers UNIMPLEMENTED. */
  readonly transfers?: Transfers;
};

export function accountQueriesService(deps: AccountQueriesDeps): UntypedServiceImplementation {
  const { readModel, access, transfers } = deps;
  const listTransfers = readModel?.listTransfers?.bind(readModel);
  return {
    getAccountAsOf: unaryCall<GetAccountAsOfRequest, GetAccountAsOfResponse>('GetAccountAsOf', 'query', deps, async (req, ctx) => {
      const { accountId, asOf } = asOfRequest(req);
      await access.read(ctx.principal ?? ANONYMOUS, accountId);
      const found = await getAccountAsOf(deps.store, accountId, asOf, deps.snapshots);
      return { response: create(GetAccountAsOfResponseSchema, { account: accountMessage(found) }) };
    }),
    getAccount: readModel
      ? unaryCall('GetAccount', 'query', deps, async (req: GetAccountRequest, ctx) => {
          await access.read(ctx.principal ?? ANONYMOUS, validAccountId(req.accountId));
          return { response: await readModel.getAccount(req, ctx) };
        })
      : notYetServed('GetAccount'),
    listAccountsByOwner: readModel
      ? unaryCall('ListAccountsByOwner', 'query', deps, async (req: ListAccountsByOwnerRequest, ctx) => {
          access.owner(ctx.principal ?? ANONYMOUS, req.ownerId);
          return { response: await readModel.listAccountsByOwner(req, ctx) };
        })
      : notYetServed('ListAccountsByOwner'),
    listTransactions: readModel
      ? unaryCall('ListTransactions', 'query', deps, async (req: ListTransactionsRequest, ctx) => {
          await access.read(ctx.principal ?? ANONYMOUS, validAccountId(req.accountId));
          return { response: await readModel.listTransactions(req, ctx) };
        })
      : notYetServed('ListTransactions'),
    listTransfers: listTransfers
      ? unaryCall('ListTransfers', 'query', deps, async (req: ListTransfersRequest, ctx) => {
          // The list names counterparties: only the account's owner (or an operator), and only for an account that exists.
          await access.readOwned(ctx.principal ?? ANONYMOUS, validAccountId(req.accountId));
          return { response: await listTransfers(req, ctx) };
        })
      : notYetServed('ListTransfers'),
    getTransfer: transfers
      ? unaryCall('GetTransfer', 'query', deps, async (req: GetTransferRequest, ctx) => {
          const f = new RequestFields();
          const transferId = f.uuid('transfer_id', req.transferId);
          f.done();
          const waitUntil = req.waitForCompletion ? (ctx.deadline ?? Date.now() + DEFAULT_TRANSFER_WAIT_MS) - 20 : undefined;
          const transfer = await transfers.getTransfer(transferId, waitUntil);
          // Whoever may read the source account may read its transfers.
          await access.read(ctx.principal ?? ANONYMOUS, transfer.fromAccountId);
          return { response: create(GetTransferResponseSchema, { transfer: transferMessage(transfer) }) };
        })
      : notYetServed('GetTransfer', 'reads transfer streams, which this server was started without'),
  };
}

const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

function asOfRequest(req: GetAccountAsOfRequest): { accountId: string; asOf: AsOf } {
  const f = new RequestFields();
  const accountId = f.uuid('account_id', req.accountId);
  let asOf: AsOf | undefined;
  if (req.asOf.case === 'timestamp') {
    const { seconds, nanos } = req.asOf.value;
    // google.protobuf.Timestamp's own rule: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
    if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS)
      f.add('as_of', 'timestamp must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z');
    else if (nanos < 0 || nanos > 999_999_999) f.add('as_of', 'timestamp nanos must be within 0..999999999');
    else asOf = { timestamp: timestampDate(req.asOf.value) };
  }
  else if (req.asOf.case === 'revision') asOf = { revision: req.asOf.value };
  else f.add('as_of', 'timestamp or revision is required');
  f.done();
  return { accountId, asOf: asOf ?? { revision: 0n } };
}

/** The account_id a read-model query names, validated here so the owner lookup reads only a valid stream. */
function validAccountId(accountId: string): string {
  const f = new RequestFields();
  const id = f.uuid('account_id', accountId);
  f.done();
  return id;
}

function accountMessage(a: AccountAsOf): Account {
  const { state } = a;
  return create(AccountSchema, {
    accountId: state.accountId,
    ownerId: state.ownerId,
    balance: state.balance,
    currency: state.currency,
    status: state.status === 'open' ? AccountStatus.OPEN : AccountStatus.CLOSED,
    txCount: BigInt(state.txCount),
    inFlightOut: state.inFlightOut,
    openedAt: timestampFromDate(a.openedAt),
    updatedAt: timestampFromDate(a.updatedAt),
    revision: a.revision,
    ...(a.lastTxAt ? { lastTxAt: timestampFromDate(a.lastTxAt) } : {}),
    ...(a.closedAt ? { closedAt: timestampFromDate(a.closedAt) } : {}),
  });
}

function notYetServed(method: string, why = 'reads the MongoDB read model, which this server was started without') {
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
    callback({
      code: status.UNIMPLEMENTED,
      details: `${method} ${why}`,
    });
}
