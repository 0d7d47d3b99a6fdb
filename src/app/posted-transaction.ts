import type { PostedTransaction } from '../domain/index.js';
import type { AccountEventStore } from './event-store.js';

/**
 * The deposit or withdrawal stored under `eventId` in `stream`, or undefined
 * when the stream holds no such money event (issue 15: what a reversal
 * names). Stored events never change, so finding it before the command is
 * decided cannot go stale. Reads the whole stream: reversals are rare, and
 * the write model does not keep every transaction of an account in memory.
 */
export async function findPostedTransaction(store: AccountEventStore, stream: string, eventId: string): Promise<PostedTransaction | undefined> {
  for (const stored of await store.readStream(stream, 0n)) {
    if (stored.eventId !== eventId) continue;
    const event = stored.event;
    if (event?.type === 'MoneyDeposited' || event?.type === 'MoneyWithdrawn') return { eventId, type: event.type, amount: event.data.amount };
    return undefined;
  }
  return undefined;
}
