import { z } from 'zod/v4';
import type { AccountEvent, EventMetadata } from './events.js';

/** Thrown when stored event JSON does not match its schema (a poison event). */
export class MalformedEvent extends Error {
  override readonly name = 'MalformedEvent';
  constructor(readonly eventType: string, detail: string) {
    super(`malformed ${eventType} event: ${detail}`);
  }
}

const minorUnits = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'a non-negative integer string');
const schemas = {
  AccountOpened: z.object({ account_id: z.string().min(1), owner_id: z.string().min(1), currency: z.string().regex(/^[A-Z]{3}$/) }),
  MoneyDeposited: z.object({ amount: minorUnits }),
  MoneyWithdrawn: z.object({ amount: minorUnits }),
  AccountClosed: z.object({ reason: z.string().optional() }),
  DepositReversed: z.object({ transaction_id: z.string().min(1), amount: minorUnits, reason: z.string().optional() }),
  WithdrawalReversed: z.object({ transaction_id: z.string().min(1), amount: minorUnits, reason: z.string().optional() }),
  TransferDebited: z.object({ transfer_id: z.string().min(1), to_account_id: z.string().min(1), amount: minorUnits, currency: z.string().regex(/^[A-Z]{3}$/) }),
  TransferCredited: z.object({ transfer_id: z.string().min(1), from_account_id: z.string().min(1), amount: minorUnits }),
  TransferCreditRefused: z.object({ transfer_id: z.string().min(1), from_account_id: z.string().min(1), amount: minorUnits, reason: z.string() }),
  TransferDebitSettled: z.object({ transfer_id: z.string().min(1), amount: minorUnits }),
  TransferDebitReversed: z.object({ transfer_id: z.string().min(1), amount: minorUnits, reason: z.string() }),
} as const;

const metadataSchema = z.object({
  occurred_at: z.string(),
  command_id: z.string(),
  correlation_id: z.string(),
  causation_id: z.string(),
  schema_version: z.number().int(),
  command_type: z.string().optional(),
  command_fingerprint: z.string().optional(),
  actor: z.string().optional(),
  auth_method: z.string().optional(),
});

/** Domain event → the JSON object stored as event data. */
export function encodeEventData(event: AccountEvent): Record<string, string> {
  switch (event.type) {
    case 'AccountOpened':
      return { account_id: event.data.accountId, owner_id: event.data.ownerId, currency: event.data.currency };
    case 'MoneyDeposited':
    case 'MoneyWithdrawn':
      return { amount: event.data.amount.toString() };
    case 'AccountClosed':
      return event.data.reason === undefined ? {} : { reason: event.data.reason };
    case 'DepositReversed':
    case 'WithdrawalReversed':
      return {
        transaction_id: event.data.transactionId,
        amount: event.data.amount.toString(),
        ...(event.data.reason === undefined ? {} : { reason: event.data.reason }),
      };
    case 'TransferDebited':
      return { transfer_id: event.data.transferId, to_account_id: event.data.toAccountId, amount: event.data.amount.toString(), currency: event.data.currency };
    case 'TransferCredited':
      return { transfer_id: event.data.transferId, from_account_id: event.data.fromAccountId, amount: event.data.amount.toString() };
    case 'TransferCreditRefused':
      return { transfer_id: event.data.transferId, from_account_id: event.data.fromAccountId, amount: event.data.amount.toString(), reason: event.data.reason };
    case 'TransferDebitSettled':
      return { transfer_id: event.data.transferId, amount: event.data.amount.toString() };
    case 'TransferDebitReversed':
      return { transfer_id: event.data.transferId, amount: event.data.amount.toString(), reason: event.data.reason };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/** Stored type + JSON data → domain event; undefined for a type this domain does not know. */
export function decodeEvent(type: string, data: unknown): AccountEvent | undefined {
  const parse = <S extends z.ZodTypeAny>(schema: S): z.infer<S> => {
    const r = schema.safeParse(data);
    if (!r.success) throw new MalformedEvent(type, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return r.data;
  };
  switch (type) {
    case 'AccountOpened': {
      const d = parse(schemas.AccountOpened);
      return { type, data: { accountId: d.account_id, ownerId: d.owner_id, currency: d.currency } };
    }
    case 'MoneyDeposited':
    case 'MoneyWithdrawn': {
      const amount = BigInt(parse(schemas[type]).amount);
      if (amount <= 0n) throw new MalformedEvent(type, 'amount: must be positive');
      return { type, data: { amount } };
    }
    case 'AccountClosed': {
      const d = parse(schemas.AccountClosed);
      return { type, data: d.reason === undefined ? {} : { reason: d.reason } };
    }
    case 'DepositReversed':
    case 'WithdrawalReversed': {
      const d = parse(schemas[type]);
      const amount = BigInt(d.amount);
      if (amount <= 0n) throw new MalformedEvent(type, 'amount: must be positive');
      return { type, data: { transactionId: d.transaction_id, amount, ...(d.reason === undefined ? {} : { reason: d.reason }) } };
    }
    case 'TransferDebited': {
      const d = parse(schemas.TransferDebited);
      return { type, data: { transferId: d.transfer_id, toAccountId: d.to_account_id, amount: positive(type, d.amount), currency: d.currency } };
    }
    case 'TransferCredited': {
      const d = parse(schemas.TransferCredited);
      return { type, data: { transferId: d.transfer_id, fromAccountId: d.from_account_id, amount: positive(type, d.amount) } };
    }
    case 'TransferCreditRefused': {
      const d = parse(schemas.TransferCreditRefused);
      return { type, data: { transferId: d.transfer_id, fromAccountId: d.from_account_id, amount: positive(type, d.amount), reason: d.reason } };
    }
    case 'TransferDebitSettled': {
      const d = parse(schemas.TransferDebitSettled);
      return { type, data: { transferId: d.transfer_id, amount: positive(type, d.amount) } };
    }
    case 'TransferDebitReversed': {
      const d = parse(schemas.TransferDebitReversed);
      return { type, data: { transferId: d.transfer_id, amount: positive(type, d.amount), reason: d.reason } };
    }
    default:
      return undefined;
  }
}

function positive(type: string, decimal: string): bigint {
  const amount = BigInt(decimal);
  if (amount <= 0n) throw new MalformedEvent(type, 'amount: must be positive');
  return amount;
}

export function encodeMetadata(m: EventMetadata): Record<string, string | number> {
  return {
    occurred_at: m.occurredAt,
    command_id: m.commandId,
    correlation_id: m.correlationId,
    causation_id: m.causationId,
    schema_version: m.schemaVersion,
    ...(m.commandType === undefined ? {} : { command_type: m.commandType }),
    ...(m.commandFingerprint === undefined ? {} : { command_fingerprint: m.commandFingerprint }),
    ...(m.actor === undefined ? {} : { actor: m.actor }),
    ...(m.authMethod === undefined ? {} : { auth_method: m.authMethod }),
  };
}

/** Metadata JSON → EventMetadata; undefined when absent or not ours (foreign writers). */
export function decodeMetadata(json: unknown): EventMetadata | undefined {
  const r = metadataSchema.safeParse(json);
  if (!r.success) return undefined;
  return {
    occurredAt: r.data.occurred_at,
    commandId: r.data.command_id,
    correlationId: r.data.correlation_id,
    causationId: r.data.causation_id,
    schemaVersion: r.data.schema_version,
    ...(r.data.command_type === undefined ? {} : { commandType: r.data.command_type }),
    ...(r.data.command_fingerprint === undefined ? {} : { commandFingerprint: r.data.command_fingerprint }),
    ...(r.data.actor === undefined ? {} : { actor: r.data.actor }),
    ...(r.data.auth_method === undefined ? {} : { authMethod: r.data.auth_method }),
  };
}
