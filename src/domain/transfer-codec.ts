import { z } from 'zod/v4';
import { MalformedEvent } from './event-codec.js';
import type { TransferEvent } from './transfer.js';

const minorUnits = z.string().regex(/^[1-9][0-9]{0,18}$/, 'a positive integer string');
const schemas = {
  TransferInitiated: z.object({
    transfer_id: z.string().min(1),
    from_account_id: z.string().min(1),
    to_account_id: z.string().min(1),
    amount: minorUnits,
    currency: z.string().regex(/^[A-Z]{3}$/),
  }),
  TransferCompleted: z.object({ transfer_id: z.string().min(1) }),
  TransferFailed: z.object({ transfer_id: z.string().min(1), reason: z.string() }),
} as const;

/**
 * Transfer stream event JSON (snake_case, amounts as decimal strings):
 *   TransferInitiated {"transfer_id","from_account_id","to_account_id","amount":"100","currency":"EUR"}
 *   TransferCompleted {"transfer_id"}
 *   TransferFailed    {"transfer_id","reason"}
 */
export function encodeTransferEventData(event: TransferEvent): Record<string, string> {
  switch (event.type) {
    case 'TransferInitiated': {
      const d = event.data;
      return { transfer_id: d.transferId, from_account_id: d.fromAccountId, to_account_id: d.toAccountId, amount: d.amount.toString(), currency: d.currency };
    }
    case 'TransferCompleted':
      return { transfer_id: event.data.transferId };
    case 'TransferFailed':
      return { transfer_id: event.data.transferId, reason: event.data.reason };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The validation step of the decoding pipeline for transfer streams
 * (event-decoder.ts decodeTransfer); undefined for a type it does not know.
 */
export function decodeTransferEvent(type: string, data: unknown): TransferEvent | undefined {
  const parse = <S extends z.ZodTypeAny>(schema: S): z.infer<S> => {
    const r = schema.safeParse(data);
    if (!r.success) throw new MalformedEvent(type, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return r.data;
  };
  switch (type) {
    case 'TransferInitiated': {
      const d = parse(schemas.TransferInitiated);
      return { type, data: { transferId: d.transfer_id, fromAccountId: d.from_account_id, toAccountId: d.to_account_id, amount: BigInt(d.amount), currency: d.currency } };
    }
    case 'TransferCompleted':
      return { type, data: { transferId: parse(schemas.TransferCompleted).transfer_id } };
    case 'TransferFailed': {
      const d = parse(schemas.TransferFailed);
      return { type, data: { transferId: d.transfer_id, reason: d.reason } };
    }
    default:
      return undefined;
  }
}
