import { nameBasedUuid } from './name-based-uuid.js';

/** Fixed namespace for ids derived within a transfer (a random uuid chosen once; never change it). */
const transferUuid = nameBasedUuid('c6f0a3d4-2b7e-4c19-8e5a-91d3f7b2a604');

/**
 * Every id of a transfer derives from what the client sent (issue 15), so a
 * retried TransferMoney names the same transfer, and the process's credit
 * and refund carry the same command ids however often they are attempted,
 * by however many process instances: the command handler then appends each
 * at most once (command ids in event metadata).
 */
export const transferIdFor = (fromAccountId: string, commandId: string): string => transferUuid(`transfer/${fromAccountId}/${commandId}`);
export const creditCommandId = (transferId: string): string => transferUuid(`transfer/${transferId}/credit`);
export const settleCommandId = (transferId: string): string => transferUuid(`transfer/${transferId}/settle`);
export const refundCommandId = (transferId: string): string => transferUuid(`transfer/${transferId}/refund`);
/** Event id of one state change in `transfer-<id>`, so a repeated append is deduplicated by the store. */
export const transferEventId = (transferId: string, type: string): string => transferUuid(`transfer/${transferId}/${type}`);
