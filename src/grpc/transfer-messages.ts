import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { TransferView } from '../app/transfers.js';
import { TransferSchema, TransferStatus, type Transfer } from './gen/ledger/v1/account_pb.js';

export const transferStatusOf = (status: TransferView['status']): TransferStatus =>
  ({ pending: TransferStatus.PENDING, completed: TransferStatus.COMPLETED, failed: TransferStatus.FAILED })[status];

export function transferMessage(t: TransferView): Transfer {
  return create(TransferSchema, {
    transferId: t.transferId,
    fromAccountId: t.fromAccountId,
    toAccountId: t.toAccountId,
    amount: t.amount,
    currency: t.currency,
    status: transferStatusOf(t.status),
    ...(t.failureReason === undefined ? {} : { failureReason: t.failureReason }),
    ...(t.requestedAt === undefined ? {} : { requestedAt: timestampFromDate(t.requestedAt) }),
    ...(t.finishedAt === undefined ? {} : { finishedAt: timestampFromDate(t.finishedAt) }),
  });
}
