import { TransferNotFound, foldTransfer, type Transfer, type TransferMoney } from '../domain/index.js';
import type { CommandHandler, HandledCommand } from './command-handler.js';
import type { CommandEnvelope } from './command-envelope.js';
import type { StoredTransferEvent, TransferEventStore } from './transfer-store.js';
import type { TransferOutcomes } from './transfer-outcomes.js';

/** A transfer as GetTransfer answers it: its state, and when its stream recorded the request and the outcome. */
export type TransferView = Exclude<Transfer, { status: 'none' }> & { readonly requestedAt?: Date; readonly finishedAt?: Date };
export type TransferRequested = { readonly handled: HandledCommand; readonly transfer: TransferView };

/** How often a waiting GetTransfer looks again at first, and at most (the transfer stream is small). */
const WAIT_POLL_MS = 10;
const MAX_WAIT_POLL_MS = 200;
/** With a live outcome feed a waiter is woken by the outcome: it reads again this rarely, for a notice lost to a reconnect. */
const FED_POLL_MS = 1_000;

/**
 * The API's side of transfers (issue 15): TransferMoney records the debit
 * on the source account and starts the transfer stream (the process
 * manager starts it too, when this process stopped in between); GetTransfer
 * folds the transfer stream and may wait for an outcome.
 */
export class Transfers {
  constructor(
    private readonly handler: CommandHandler,
    private readonly store: TransferEventStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly outcomes?: TransferOutcomes,
  ) {}

  async transferMoney(envelope: CommandEnvelope & { readonly command: TransferMoney }): Promise<TransferRequested> {
    const handled = await this.handler.handle(envelope);
    const { transferId, accountId: fromAccountId, toAccountId, amount, currency } = envelope.command.data;
    const pending: TransferView = { status: 'pending', transferId, fromAccountId, toAccountId, amount, currency };
    try {
      // A repeated request answers where the transfer stands now; a new one starts its stream.
      if (handled.duplicate) return { handled, transfer: (await this.find(transferId)) ?? pending };
      await this.store.append(transferId, [{ type: 'TransferInitiated', data: { transferId, fromAccountId, toAccountId, amount, currency } }], -1n, this.clock().toISOString());
      return { handled, transfer: pending };
    } catch {
      // Already started (by the process), or the store failed: the debit is recorded and the process starts the stream from it.
      return { handled, transfer: pending };
    }
  }

  /** The transfer's state; with `waitUntil` (epoch ms), waits while it is pending (or not yet recorded). */
  async getTransfer(transferId: string, waitUntil?: number): Promise<TransferView> {
    // Woken by the outcome feed (one subscription per process) when there is one, and answered
    // from what it saw of the stream when it saw all of it; else polling, backing off from
    // WAIT_POLL_MS to MAX_WAIT_POLL_MS (polling cost the API and the store more CPU per transfer
    // than the transfer itself, bench/RESULTS.md). The watch starts before the look, so an
    // event appended in between still wakes it; a wait no event ended reads the stream.
    let trustFeed = true;
    for (let pause = WAIT_POLL_MS; ; pause = Math.min(pause * 2, MAX_WAIT_POLL_MS)) {
      const watch = waitUntil === undefined ? undefined : this.outcomes?.watch(transferId);
      try {
        const seen = trustFeed ? this.outcomes?.seen(transferId) : undefined;
        const seenView = seen === undefined ? undefined : this.viewOf(seen);
        // A pending view from the feed only while a watch can end the wait; an outcome is final.
        const found = seenView !== undefined && (seenView.status !== 'pending' || watch !== undefined) ? seenView : await this.find(transferId);
        const settled = found !== undefined && found.status !== 'pending';
        const wait = watch !== undefined && this.outcomes?.live() ? FED_POLL_MS : pause;
        if (settled || waitUntil === undefined || Date.now() + Math.min(wait, pause) >= waitUntil) {
          if (found === undefined) throw new TransferNotFound(transferId);
          return found;
        }
        let timer: NodeJS.Timeout | undefined;
        const slept = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.min(wait, waitUntil - Date.now()))));
        const woken = await (watch === undefined ? slept : Promise.race([slept, watch.next.then(() => true)]));
        clearTimeout(timer);
        if (!woken) trustFeed = false;
      } finally {
        watch?.cancel();
      }
    }
  }

  private async find(transferId: string): Promise<TransferView | undefined> {
    return this.viewOf(await this.store.read(transferId));
  }

  private viewOf(stored: readonly StoredTransferEvent[]): TransferView | undefined {
    const transfer = foldTransfer(stored.flatMap((e) => (e.event ? [e.event] : [])));
    if (transfer.status === 'none') return undefined;
    const requested = stored.find((e) => e.event?.type === 'TransferInitiated');
    const finished = stored.find((e) => e.event?.type === 'TransferCompleted' || e.event?.type === 'TransferFailed');
    return {
      ...transfer,
      ...(requested ? { requestedAt: requested.occurredAt } : {}),
      ...(finished && transfer.status !== 'pending' ? { finishedAt: finished.occurredAt } : {}),
    };
  }
}
