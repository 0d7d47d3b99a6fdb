import { create } from '@bufbuild/protobuf';
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
  });
}
