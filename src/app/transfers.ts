import { TransferNotFound, foldTransfer, type Transfer, type TransferMoney } from '../domain/index.js';
import type { CommandHandler, HandledCommand } from './command-handler.js';
import type { CommandEnvelope } from './command-envelope.js';
import type { TransferEventStore } from './transfer-store.js';

export type TransferView = Exclude<Transfer, { status: 'none' }>;
export type TransferRequested = { readonly handled: HandledCommand; readonly transfer: TransferView };

/** How often a waiting GetTransfer looks again (the transfer stream is small). */
const WAIT_POLL_MS = 20;

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
      if ((await this.store.read(transferId)).length === 0)
        await this.store.append(transferId, [{ type: 'TransferInitiated', data: { transferId, fromAccountId, toAccountId, amount, currency } }], -1n, this.clock().toISOString());
      return { handled, transfer: (await this.find(transferId)) ?? pending };
    } catch {
      // The debit is recorded: the process manager starts the transfer stream from it.
      return { handled, transfer: pending };
    }
  }

  /** The transfer's state; with `waitUntil` (epoch ms), waits while it is pending (or not yet recorded). */
  async getTransfer(transferId: string, waitUntil?: number): Promise<TransferView> {
    for (;;) {
      const found = await this.find(transferId);
      const settled = found !== undefined && found.status !== 'pending';
      if (settled || waitUntil === undefined || Date.now() + WAIT_POLL_MS >= waitUntil) {
        if (found === undefined) throw new TransferNotFound(transferId);
        return found;
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  private async find(transferId: string): Promise<TransferView | undefined> {
    const transfer = foldTransfer((await this.store.read(transferId)).flatMap((e) => (e.event ? [e.event] : [])));
    return transfer.status === 'none' ? undefined : transfer;
  }
}
