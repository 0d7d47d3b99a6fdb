import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AccountNotFound } from '../domain/errors.js';
import type { AccountSummaryDocument, AccountTransactionDocument } from '../readmodels/account-documents.js';
import type { AccountReadQueries, TransactionCursor, TransferCursor, TransferDirection } from '../readmodels/account-read-queries.js';
import type { TransferDocument } from '../readmodels/transfer-documents.js';
import { transferMessage } from './transfer-messages.js';
import type { AccountReadModelQueries } from './account-queries-service.js';
import type { CallContext } from './command-requests.js';
import { AccountSchema, AccountStatus, TransactionSchema, TransactionType, type Account, type Transaction } from './gen/ledger/v1/account_pb.js';
import {
  GetAccountResponseSchema,
  ListAccountsByOwnerResponseSchema,
  ListTransactionsResponseSchema,
  ListTransfersResponseSchema,
  TransferDirection as TransferDirectionMessage,
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

const MAX_OWNER_ID = 128;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** GetAccount, ListAccountsByOwner, ListTransactions and ListTransfers over the MongoDB read model. */
export class ReadModelQueriesService implements AccountReadModelQueries {
  constructor(private readonly queries: AccountReadQueries) {}

  async getAccount(req: GetAccountRequest, ctx: CallContext): Promise<GetAccountResponse> {
    const f = new RequestFields();
    const accountId = f.uuid('account_id', req.accountId);
    f.done();
    if (req.minRevision !== undefined) await this.queries.waitForRevision(accountId, req.minRevision, ctx.deadline);
    const summary = await this.queries.getAccount(accountId);
    if (summary === undefined) throw new AccountNotFound(accountId);
    return create(GetAccountResponseSchema, { account: accountMessage(summary) });
  }

  async listAccountsByOwner(req: ListAccountsByOwnerRequest, _ctx: CallContext): Promise<ListAccountsByOwnerResponse> {
    const f = new RequestFields();
    const ownerId = f.text('owner_id', req.ownerId, MAX_OWNER_ID, true);
    const pageSize = pageSizeOf(f, req.pageSize);
    const after = req.pageToken === '' ? undefined : decodeToken(f, req.pageToken, (t) => (typeof t['a'] === 'string' ? t['a'] : undefined));
    f.done();
    const page = await this.queries.listAccountsByOwner(ownerId, pageSize, after);
    return create(ListAccountsByOwnerResponseSchema, {
      accounts: page.items.map(accountMessage),
      nextPageToken: page.next === undefined ? '' : encodeToken({ a: page.next }),
    });
  }

  async listTransactions(req: ListTransactionsRequest, ctx: CallContext): Promise<ListTransactionsResponse> {
    const f = new RequestFields();
    const accountId = f.uuid('account_id', req.accountId);
    const pageSize = pageSizeOf(f, req.pageSize);
    const from = req.from === undefined ? undefined : timestampDate(req.from);
    const to = req.to === undefined ? undefined : timestampDate(req.to);
    if (from !== undefined && to !== undefined && from >= to) f.add('to', 'must be after from');
    const after = req.pageToken === '' ? undefined : decodeToken(f, req.pageToken, transactionCursorOf);
    f.done();
    if (req.minRevision !== undefined) await this.queries.waitForRevision(accountId, req.minRevision, ctx.deadline);
    const page = await this.queries.listTransactions(accountId, { from, to }, pageSize, after);
    return create(ListTransactionsResponseSchema, {
      transactions: page.items.map((doc) => transactionMessage(doc, page.reversedBy?.get(doc._id))),
      nextPageToken: page.next === undefined ? '' : encodeToken({ t: page.next.occurredAt.getTime(), r: String(page.next.revision) }),
    });
  }

  async listTransfers(req: ListTransfersRequest, _ctx: CallContext): Promise<ListTransfersResponse> {
    const f = new RequestFields();
    const accountId = f.uuid('account_id', req.accountId);
    const direction = directions[req.direction];
    if (direction === undefined) f.add('direction', 'must be TRANSFER_DIRECTION_UNSPECIFIED (both), _OUTGOING or _INCOMING');
    const pageSize = pageSizeOf(f, req.pageSize);
    const after = req.pageToken === '' ? undefined : decodeToken(f, req.pageToken, transferCursorOf);
    f.done();
    const page = await this.queries.listTransfers(accountId, direction ?? 'both', pageSize, after);
    return create(ListTransfersResponseSchema, {
      transfers: page.items.map(transferOfDocument),
      nextPageToken: page.next === undefined ? '' : encodeToken({ t: page.next.requestedAt.getTime(), i: page.next.transferId }),
    });
  }
}

const directions: Partial<Record<number, TransferDirection>> = {
  [TransferDirectionMessage.UNSPECIFIED]: 'both',
  [TransferDirectionMessage.OUTGOING]: 'outgoing',
  [TransferDirectionMessage.INCOMING]: 'incoming',
};

function transferCursorOf(t: Record<string, unknown>): TransferCursor | undefined {
  const at = t['t'];
  const id = t['i'];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || id === '') return undefined;
  return { requestedAt: new Date(at), transferId: id };
}

function transferOfDocument(doc: TransferDocument) {
  return transferMessage({
    status: doc.status,
    transferId: doc._id,
    fromAccountId: doc.from_account_id,
    toAccountId: doc.to_account_id,
    amount: doc.amount,
    currency: doc.currency,
    ...(doc.failure_reason === null ? {} : { failureReason: doc.failure_reason }),
    requestedAt: doc.requested_at,
    ...(doc.finished_at === null ? {} : { finishedAt: doc.finished_at }),
  });
}

function pageSizeOf(f: RequestFields, requested: number): number {
  if (requested < 0 || requested > MAX_PAGE) f.add('page_size', `must be between 0 and ${MAX_PAGE} (0 means ${DEFAULT_PAGE})`);
  return requested === 0 ? DEFAULT_PAGE : Math.min(Math.max(requested, 1), MAX_PAGE);
}

/** Page tokens are opaque to clients: base64url JSON of the last item's sort key. */
function encodeToken(value: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken<T>(f: RequestFields, token: string, read: (t: Record<string, unknown>) => T | undefined): T | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const value = typeof parsed === 'object' && parsed !== null ? read(parsed as Record<string, unknown>) : undefined;
    if (value !== undefined) return value;
  } catch {
    // falls through to the violation below
  }
  f.add('page_token', 'not a token from a previous answer of this call');
  return undefined;
}

function transactionCursorOf(t: Record<string, unknown>): TransactionCursor | undefined {
  const at = t['t'];
  const revision = t['r'];
  if (typeof at !== 'number' || typeof revision !== 'string' || !/^\d{1,19}$/.test(revision)) return undefined;
  return { occurredAt: new Date(at), revision: BigInt(revision) };
}

function accountMessage(doc: AccountSummaryDocument): Account {
  return create(AccountSchema, {
    accountId: doc._id,
    ownerId: doc.owner_id,
    balance: doc.balance,
    currency: doc.currency,
    status: doc.status === 'open' ? AccountStatus.OPEN : AccountStatus.CLOSED,
    txCount: doc.tx_count,
    inFlightOut: doc.in_flight_out ?? 0n,
    openedAt: timestampFromDate(doc.opened_at),
    updatedAt: timestampFromDate(doc.updated_at),
    revision: doc.revision,
    ...(doc.last_tx_at ? { lastTxAt: timestampFromDate(doc.last_tx_at) } : {}),
    ...(doc.closed_at ? { closedAt: timestampFromDate(doc.closed_at) } : {}),
  });
}

const transactionTypes: Record<AccountTransactionDocument['type'], TransactionType> = {
  deposit: TransactionType.DEPOSIT,
  withdrawal: TransactionType.WITHDRAWAL,
  deposit_reversal: TransactionType.DEPOSIT_REVERSAL,
  withdrawal_reversal: TransactionType.WITHDRAWAL_REVERSAL,
  transfer_out: TransactionType.TRANSFER_OUT,
  transfer_in: TransactionType.TRANSFER_IN,
  transfer_refund: TransactionType.TRANSFER_REFUND,
};

function transactionMessage(doc: AccountTransactionDocument, reversedBy: string | undefined): Transaction {
  return create(TransactionSchema, {
    eventId: doc._id,
    accountId: doc.account_id,
    type: transactionTypes[doc.type],
    ...(doc.reverses === undefined ? {} : { reversesEventId: doc.reverses }),
    ...(doc.reason === undefined ? {} : { reason: doc.reason }),
    ...(reversedBy === undefined ? {} : { reversedByEventId: reversedBy }),
    ...(doc.transfer_id === undefined ? {} : { transferId: doc.transfer_id }),
    ...(doc.counterparty === undefined ? {} : { counterpartyAccountId: doc.counterparty }),
    ...(doc.actor === undefined ? {} : { actor: doc.actor }),
    amount: doc.amount,
    balanceAfter: doc.balance_after,
    occurredAt: timestampFromDate(doc.occurred_at),
    revision: doc.revision,
  });
}
