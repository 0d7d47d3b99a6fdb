import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace for ids derived within a transfer (a random uuid chosen once; never change it). */
const TRANSFER_NAMESPACE = 'c6f0a3d4-2b7e-4c19-8e5a-91d3f7b2a604';

/**
 * Every id of a transfer derives from what the client sent (issue 15), so a
 * retried TransferMoney names the same transfer, and the process's credit
 * and refund carry the same command ids however often they are attempted,
 * by however many process instances: the command handler then appends each
 * at most once (command ids in event metadata).
 */
export const transferIdFor = (fromAccountId: string, commandId: string): string => uuidv5(`transfer/${fromAccountId}/${commandId}`, TRANSFER_NAMESPACE);
export const creditCommandId = (transferId: string): string => uuidv5(`transfer/${transferId}/credit`, TRANSFER_NAMESPACE);
export const settleCommandId = (transferId: string): string => uuidv5(`transfer/${transferId}/settle`, TRANSFER_NAMESPACE);
export const refundCommandId = (transferId: string): string => uuidv5(`transfer/${transferId}/refund`, TRANSFER_NAMESPACE);
/** Event id of one state change in `transfer-<id>`, so a repeated append is deduplicated by the store. */
export const transferEventId = (transferId: string, type: string): string => uuidv5(`transfer/${transferId}/${type}`, TRANSFER_NAMESPACE);
