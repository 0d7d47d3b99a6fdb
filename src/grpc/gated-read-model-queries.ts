import type { ReadModelAvailability } from '../readmodels/read-model-availability.js';
import type { AccountReadModelQueries } from './account-queries-service.js';

/** The read-model queries behind the read model's availability: UNAVAILABLE (naming the dependency) while it cannot answer. */
export function gatedReadModelQueries(inner: AccountReadModelQueries, availability: ReadModelAvailability): AccountReadModelQueries {
  const listTransfers = inner.listTransfers?.bind(inner);
  return {
    getAccount: (req, ctx) => availability.serve(() => inner.getAccount(req, ctx)),
    listAccountsByOwner: (req, ctx) => availability.serve(() => inner.listAccountsByOwner(req, ctx)),
    listTransactions: (req, ctx) => availability.serve(() => inner.listTransactions(req, ctx)),
    ...(listTransfers === undefined ? {} : { listTransfers: (req, ctx) => availability.serve(() => listTransfers(req, ctx)) }),
  };
}
