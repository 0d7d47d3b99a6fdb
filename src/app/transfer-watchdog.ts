import { ACCOUNT_STREAM_PREFIX, MalformedEvent, type EncodedEvent, type EventDecoder } from '../domain/index.js';
import type { DebitedTransfer, TransferProcess } from './transfer-process.js';

/** An account event of the log with the time the store recorded it. */
export type LoggedEvent = EncodedEvent & { readonly created: Date };

/** The log of account events, paged forward from a position (implemented by src/eventstore's AccountLogReader). */
export interface AccountLog<Position> {
  page(after: Position | undefined, max: number): Promise<{ readonly events: readonly LoggedEvent[]; readonly last: Position | undefined; readonly atHead: boolean }>;
}

const PAGE = 1_000;

/**
 * The watchdog (issue 15): a lost or parked delivery must never leave money
 * in limbo. It follows the account events of the log (from the start when
 * the process starts, then only what is new), keeps the transfers debited
 * and neither settled (after the credit) nor refunded on the source, and
 * drives each one still open `stuckAfterMs` after its debit through the
 * same idempotent steps as the subscription does. Running it in several
 * processes only repeats work.
 */
export class TransferWatchdog<Position> {
  private position: Position | undefined;
  private readonly inFlight = new Map<string, { readonly debit: DebitedTransfer; readonly debitedAt: number }>();

  constructor(
    private readonly log: AccountLog<Position>,
    private readonly decoder: EventDecoder,
    private readonly transfers: TransferProcess,
    private readonly stuckAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Catches up with the log, then drives the stuck transfers; answers how many it drove to an outcome. */
  async sweep(): Promise<{ readonly inFlight: number; readonly driven: number; readonly failures: readonly unknown[] }> {
    for (;;) {
      const page = await this.log.page(this.position, PAGE);
      for (const e of page.events) this.observe(e);
      this.position = page.last;
      if (page.atHead) break;
    }
    let driven = 0;
    const failures: unknown[] = [];
    for (const [transferId, { debit, debitedAt }] of this.inFlight) {
      if (this.now() - debitedAt < this.stuckAfterMs) continue;
      try {
        const outcome = await this.transfers.onDebited(debit);
        if (outcome.status !== 'pending') {
          this.inFlight.delete(transferId);
          driven += 1;
        }
      } catch (err) {
        failures.push(err);
      }
    }
    return { inFlight: this.inFlight.size, driven, failures };
  }

  private observe(logged: LoggedEvent): void {
    if (!logged.streamId.startsWith(ACCOUNT_STREAM_PREFIX)) return;
    let event;
    try {
      event = this.decoder.decode(logged);
    } catch (err) {
      // An undecodable event is the projector's and the operator's concern (held, parked); it is no transfer leg we can read.
      if (err instanceof MalformedEvent) return;
      throw err;
    }
    if (event?.type === 'TransferDebited') {
      const fromAccountId = logged.streamId.slice(ACCOUNT_STREAM_PREFIX.length);
      this.inFlight.set(event.data.transferId, { debit: { ...event.data, fromAccountId, debitEventId: logged.eventId }, debitedAt: logged.created.getTime() });
    } else if (event?.type === 'TransferDebitSettled' || event?.type === 'TransferDebitReversed') {
      // Done on the source's side: settled after the credit, or refunded. A credit alone is not
      // enough: the settlement (the summary's money in flight) must follow it.
      this.inFlight.delete(event.data.transferId);
    }
  }
}
