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

/** The destination's decision as the process receives it: its TransferCredited or TransferCreditRefused event. */
export type DecidedCredit = {
  readonly transferId: string;
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly amount: bigint;
  /** Set when the destination refused (TransferCreditRefused's reason). */
  readonly refusedBecause?: string;
  readonly creditEventId: string;
};

/** What settling or refunding the source needs; causation: the event that led there. */
type SourceStep = { readonly transferId: string; readonly fromAccountId: string; readonly amount: bigint; readonly causationId: string };

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
  /**
   * Debits this process made the destination decide on, until that decision
   * is delivered: when it arrives before the API has started the transfer
   * stream, the stream is started from here instead of reading the source's
   * whole stream for the debit. Bounded: a decision on a forgotten debit (or
   * one another instance handled) reads it as before.
   */
  private readonly awaitingDecision = new Map<string, DebitedTransfer>();

  constructor(
    private readonly handler: CommandHandler,
    private readonly accounts: AccountEventStore,
    private readonly transfers: TransferEventStore,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * The event-driven first half, for a delivered debit: the destination
   * decides (credit or refusal, once). Its decision is an account event the
   * subscription delivers in turn (onCreditDecided), so nothing is read back
   * here: one append (or a duplicate answer) per delivery.
   */
  async creditDestination(debit: DebitedTransfer): Promise<void> {
    this.awaitingDecision.delete(debit.transferId); // re-inserted: the oldest goes first
    this.awaitingDecision.set(debit.transferId, debit);
    if (this.awaitingDecision.size > AWAITING_DECISION_MAX) this.awaitingDecision.delete(this.awaitingDecision.keys().next().value!);
    await this.decideCredit(debit);
  }

  /**
   * The event-driven second half, for a delivered credit decision: the
   * outcome goes to the transfer stream right after the API's initiation
   * (expected revision 0, not read first), then the source is settled or
   * refunded (derived command ids). A stream already further on holds the
   * same outcome (the destination decides once). A stream that does not exist
   * yet (the decision came before the API's initiation, or the API stopped
   * in between) is started here, initiation and outcome in one append, from
   * the debit (remembered from creditDestination, else read from the source).
   */
  async onCreditDecided(decided: DecidedCredit): Promise<void> {
    const { transferId, fromAccountId, amount, refusedBecause } = decided;
    const outcome: TransferEvent = refusedBecause === undefined
      ? { type: 'TransferCompleted', data: { transferId } }
      : { type: 'TransferFailed', data: { transferId, reason: refusedBecause } };
    if (!(await this.appendAfterInitiation(transferId, outcome))) {
      const debit = this.awaitingDecision.get(transferId) ?? (await this.findDebit(fromAccountId, transferId));
      if (debit === undefined) throw new Error(`transfer ${transferId}: no debit in account ${fromAccountId} for a decided credit`);
      try {
        await this.transfers.append(transferId, [initiationOf(debit), outcome], -1n, this.clock().toISOString());
      } catch (err) {
        // Started meanwhile (the API's initiation, or another instance): the outcome goes after it.
        if (!(err instanceof RevisionConflict) || !(await this.appendAfterInitiation(transferId, outcome))) throw err;
      }
    }
    this.awaitingDecision.delete(transferId);
    if (refusedBecause === undefined) await this.settle({ transferId, fromAccountId, amount, causationId: decided.creditEventId });
    else await this.refund({ transferId, fromAccountId, amount, causationId: decided.creditEventId }, refusedBecause);
  }

  /**
   * The outcome right after the initiation (revision 0), not read first;
   * true when recorded or the stream is already further on (it holds the same
   * outcome: the destination decides once), false when it has not started.
   */
  private async appendAfterInitiation(transferId: string, outcome: TransferEvent): Promise<boolean> {
    try {
      await this.transfers.append(transferId, [outcome], 0n, this.clock().toISOString());
      return true;
    } catch (err) {
      if (!(err instanceof RevisionConflict)) throw err;
      return err.actualRevision >= 0n;
    }
  }

  /** The whole transfer in one go, reading what it needs: the watchdog's path for a transfer still in flight. */
  async onDebited(debit: DebitedTransfer): Promise<Transfer> {
    let state = await this.initiated(debit);
    if (state.status === 'pending') state = await this.credit(debit);
    const step = { ...debit, causationId: debit.debitEventId };
    if (state.status === 'failed') await this.refund(step, state.failureReason ?? 'refused');
    if (state.status === 'completed') await this.settle(step);
    return state;
  }

  private async initiated(debit: DebitedTransfer): Promise<Transfer> {
    const { transferId } = debit;
    // The API starts the stream as it answers, so it is there almost always: read before writing.
    const stored = foldTransfer((await this.transfers.read(transferId)).flatMap((e) => (e.event ? [e.event] : [])));
    if (stored.status !== 'none') return stored;
    return this.appendOutcome(transferId, [], initiationOf(debit));
  }

  private decideCredit(debit: DebitedTransfer) {
    const { transferId, fromAccountId, toAccountId, amount, currency } = debit;
    return this.handler.handle({
      command: { type: 'CreditTransfer', data: { accountId: toAccountId, transferId, fromAccountId, amount, currency } },
      commandId: creditCommandId(transferId),
      correlationId: transferId,
      causationId: debit.debitEventId,
    });
  }

  /** The source's TransferDebited of a transfer, read from its stream (a rare path). */
  private async findDebit(fromAccountId: string, transferId: string): Promise<DebitedTransfer | undefined> {
    for (const stored of await this.accounts.readStream(accountStream(fromAccountId), 0n)) {
      if (stored.event?.type === 'TransferDebited' && stored.event.data.transferId === transferId) return { ...stored.event.data, fromAccountId, debitEventId: stored.eventId };
    }
    return undefined;
  }

  private async credit(debit: DebitedTransfer): Promise<Transfer> {
    const { transferId, toAccountId } = debit;
    const handled = await this.decideCredit(debit);
    // The destination holds exactly one outcome of this command (credited or refused): read it, as stored.
    const [stored] = await this.accounts.readStream(accountStream(toAccountId), handled.revision);
    const event = stored?.revision === handled.revision ? stored.event : undefined;
    let outcome: TransferEvent;
    if (event?.type === 'TransferCredited' && event.data.transferId === transferId) outcome = { type: 'TransferCompleted', data: { transferId } };
    else if (event?.type === 'TransferCreditRefused' && event.data.transferId === transferId) outcome = { type: 'TransferFailed', data: { transferId, reason: event.data.reason } };
    else throw new Error(`transfer ${transferId}: no credit outcome at revision ${handled.revision} of account ${toAccountId}`);
    // The outcome goes right after the initiation (revision 0): a second writer conflicts and reads the first's.
    return this.appendOutcome(transferId, [initiationOf(debit)], outcome);
  }

  private async refund(step: SourceStep, reason: string): Promise<void> {
    const { transferId, fromAccountId, amount } = step;
    await this.handler.handle({
      command: { type: 'RefundTransfer', data: { accountId: fromAccountId, transferId, amount, reason } },
      commandId: refundCommandId(transferId),
      correlationId: transferId,
      causationId: step.causationId,
    });
  }

  /** Tells the source its money arrived (no longer in flight on its summary). */
  private async settle(step: SourceStep): Promise<void> {
    const { transferId, fromAccountId, amount } = step;
    await this.handler.handle({
      command: { type: 'SettleTransferDebit', data: { accountId: fromAccountId, transferId, amount } },
      commandId: settleCommandId(transferId),
      correlationId: transferId,
      causationId: step.causationId,
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

/** Debits remembered until their decision arrives (a few seconds of transfers at the bench's rate). */
const AWAITING_DECISION_MAX = 10_000;

/** The transfer stream's first event, as the API writes it (same data, same derived event id: a repeat is deduplicated). */
const initiationOf = ({ transferId, fromAccountId, toAccountId, amount, currency }: DebitedTransfer): TransferEvent =>
  ({ type: 'TransferInitiated', data: { transferId, fromAccountId, toAccountId, amount, currency } });
