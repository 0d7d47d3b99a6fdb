import {
  RevisionConflict,
  accountStream,
  foldTransfer,
  type Transfer,
  type TransferDebited,
  type TransferEvent,
} from '../domain/index.js';
import type { CommandHandler } from './command-handler.js';
import type { AccountEventStore } from './event-store.js';
import { creditCommandId, refundCommandId, settleCommandId } from './transfer-ids.js';
import type { TransferEventStore } from './transfer-store.js';

/** A debit as the process receives it: the TransferDebited event of the source account. */
export type DebitedTransfer = TransferDebited['data'] & { readonly fromAccountId: string; readonly debitEventId: string };

/**
 * The transfer process manager (issue 15): from a recorded debit to an
 * outcome. Each step is idempotent, so it may run any number of times, in
 * any number of processes, and resume after a crash between any two steps:
 *   1. the transfer stream records the initiation (appended once: NoStream);
 *   2. the destination decides, once: TransferCredited or
 *      TransferCreditRefused in its own stream (one command id derived from
 *      the transfer id: a repeat, by any instance, answers with the first
 *      outcome, however the account changed since);
 *   3. that outcome goes to the transfer stream at the revision after the
 *      initiation (completed or failed with the destination's reason);
 *   4. a failed transfer refunds the source, a completed one settles the
 *      source's debit (TransferDebitSettled: no longer in flight on its
 *      summary); each again by a derived command id.
 * Anything else (store down) throws, and the delivery is retried.
 */
export class TransferProcess {
  constructor(
    private readonly handler: CommandHandler,
    private readonly accounts: AccountEventStore,
    private readonly transfers: TransferEventStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async onDebited(debit: DebitedTransfer): Promise<Transfer> {
    let state = await this.initiated(debit);
    if (state.status === 'pending') state = await this.credit(debit);
    if (state.status === 'failed') await this.refund(debit, state.failureReason ?? 'refused');
    if (state.status === 'completed') await this.settle(debit);
    return state;
  }

  private async initiated(debit: DebitedTransfer): Promise<Transfer> {
    const { transferId, fromAccountId, toAccountId, amount, currency } = debit;
    // The API starts the stream as it answers, so it is there almost always: read before writing.
    const stored = foldTransfer((await this.transfers.read(transferId)).flatMap((e) => (e.event ? [e.event] : [])));
    if (stored.status !== 'none') return stored;
    const initiated: TransferEvent = { type: 'TransferInitiated', data: { transferId, fromAccountId, toAccountId, amount, currency } };
    return this.appendOutcome(transferId, [], initiated);
  }

  private async credit(debit: DebitedTransfer): Promise<Transfer> {
    const { transferId, fromAccountId, toAccountId, amount, currency } = debit;
    const handled = await this.handler.handle({
      command: { type: 'CreditTransfer', data: { accountId: toAccountId, transferId, fromAccountId, amount, currency } },
      commandId: creditCommandId(transferId),
      correlationId: transferId,
      causationId: debit.debitEventId,
    });
    // The destination holds exactly one outcome of this command (credited or refused): read it, as stored.
    const [stored] = await this.accounts.readStream(accountStream(toAccountId), handled.revision);
    const event = stored?.revision === handled.revision ? stored.event : undefined;
    let outcome: TransferEvent;
    if (event?.type === 'TransferCredited' && event.data.transferId === transferId) outcome = { type: 'TransferCompleted', data: { transferId } };
    else if (event?.type === 'TransferCreditRefused' && event.data.transferId === transferId) outcome = { type: 'TransferFailed', data: { transferId, reason: event.data.reason } };
    else throw new Error(`transfer ${transferId}: no credit outcome at revision ${handled.revision} of account ${toAccountId}`);
    // The outcome goes right after the initiation (revision 0): a second writer conflicts and reads the first's.
    const { fromAccountId: from } = debit;
    return this.appendOutcome(transferId, [{ type: 'TransferInitiated', data: { transferId, fromAccountId: from, toAccountId, amount, currency } }], outcome);
  }

  private async refund(debit: DebitedTransfer, reason: string): Promise<void> {
    const { transferId, fromAccountId, amount } = debit;
    await this.handler.handle({
      command: { type: 'RefundTransfer', data: { accountId: fromAccountId, transferId, amount, reason } },
      commandId: refundCommandId(transferId),
      correlationId: transferId,
      causationId: debit.debitEventId,
    });
  }

  /** Tells the source its money arrived (no longer in flight on its summary). */
  private async settle(debit: DebitedTransfer): Promise<void> {
    const { transferId, fromAccountId, amount } = debit;
    await this.handler.handle({
      command: { type: 'SettleTransferDebit', data: { accountId: fromAccountId, transferId, amount } },
      commandId: settleCommandId(transferId),
      correlationId: transferId,
      causationId: debit.debitEventId,
    });
  }

  /**
   * Appends `event` right after `before` (the events this step knows the
   * stream holds), optimistically, without reading first; answers the
   * transfer's state either way: the fold of what it wrote, or, when someone
   * got there first (or the stream is further on), of what the stream holds.
   */
  private async appendOutcome(transferId: string, before: readonly TransferEvent[], event: TransferEvent): Promise<Transfer> {
    try {
      await this.transfers.append(transferId, [event], BigInt(before.length) - 1n, this.clock().toISOString());
      return foldTransfer([...before, event]);
    } catch (err) {
      if (!(err instanceof RevisionConflict)) throw err;
    }
    const stored = await this.transfers.read(transferId);
    return foldTransfer(stored.flatMap((e) => (e.event ? [e.event] : [])));
  }
}
