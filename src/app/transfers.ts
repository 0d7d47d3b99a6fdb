import { TransferNotFound, foldTransfer, type Transfer, type TransferMoney } from '../domain/index.js';
import type { CommandHandler, HandledCommand } from './command-handler.js';
import type { CommandEnvelope } from './command-envelope.js';
import type { StoredTransferEvent, TransferEventStore } from './transfer-store.js';

/** A transfer as GetTransfer answers it: its state, and when its stream recorded the request and the outcome. */
export type TransferView = Exclude<Transfer, { status: 'none' }> & { readonly requestedAt?: Date; readonly finishedAt?: Date };
export type TransferRequested = { readonly handled: HandledCommand; readonly transfer: TransferView };

/** How often a waiting GetTransfer looks again at first, and at most (the transfer stream is small). */
const WAIT_POLL_MS = 10;
const MAX_WAIT_POLL_MS = 200;
/** One watch lasts at most this long before the stream is read again (a missed signal costs no more). */
const MAX_WATCH_MS = 1_000;

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
    // A store that can say when the stream changes is watched; otherwise poll, backing off from
    // WAIT_POLL_MS to MAX_WAIT_POLL_MS, so many waiting callers do not flood it with reads.
    for (let pause = WAIT_POLL_MS; ; pause = Math.min(pause * 2, MAX_WAIT_POLL_MS)) {
      const { view: found, revision } = await this.read(transferId);
      const settled = found !== undefined && found.status !== 'pending';
      if (settled || waitUntil === undefined || Date.now() + pause >= waitUntil) {
        if (found === undefined) throw new TransferNotFound(transferId);
        return found;
      }
      if (this.store.waitForChange) await this.store.waitForChange(transferId, revision, Math.min(waitUntil - pause, Date.now() + MAX_WATCH_MS));
      else await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async find(transferId: string): Promise<TransferView | undefined> {
    return (await this.read(transferId)).view;
  }

  /** The view, and the revision of the stream's last event (-1: no stream). */
  private async read(transferId: string): Promise<{ view: TransferView | undefined; revision: bigint }> {
    const stored = await this.store.read(transferId);
    const revision = stored.at(-1)?.revision ?? -1n;
    return { view: this.viewOf(stored), revision };
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
