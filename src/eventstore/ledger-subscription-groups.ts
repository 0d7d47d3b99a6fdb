import type { Config } from '../config.js';

/** The transfer documents' group is named after the transfer process's (workers/transfer-process.ts starts it). */
export const transferDocumentsGroupOf = (transferGroup: string): string => `${transferGroup}-documents`;

/**
 * Every persistent subscription group Ledger's workers consume, in the order
 * operators see them: the projector's, the transfer process's, the transfer
 * documents'. A name configured twice is listed once.
 */
export function ledgerSubscriptionGroups(config: Pick<Config, 'PROJECTOR_GROUP' | 'TRANSFER_GROUP'>): string[] {
  return [...new Set([config.PROJECTOR_GROUP, config.TRANSFER_GROUP, transferDocumentsGroupOf(config.TRANSFER_GROUP)])];
}
