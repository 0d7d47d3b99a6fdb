import { LedgerError } from '../domain/errors.js';
import { ReadModelUnavailable, isMongoUnavailable } from './read-model-unavailable.js';

/**
 * The read model cannot answer now: its Mongo is down or restarting, or it
 * is still being filled from the event store. UNAVAILABLE, naming the
 * dependency; retrying later answers. Not INTERNAL: nothing is broken in Ledger.
 */
export class ReadModelNotServing extends LedgerError {
  override readonly name = 'ReadModelNotServing';
  readonly kind = 'unavailable';
  readonly reason = 'READ_MODEL_UNAVAILABLE';
  override readonly details: Record<string, string>;
  constructor(dependency: string, why: string) {
    super(`read model unavailable (${dependency}): ${why}`);
    this.details = { dependency, why };
  }
}

/**
 * Whether the read model may answer queries. Starts closed: a store that is
 * filled from the log at start opens it when the fill is done.
 */
export class ReadModelAvailability {
  private closedBecause: string | undefined;
  /** Counts closings: a query that saw one while it ran may have read a store that died and came back empty. */
  private closings = 0;

  constructor(readonly dependency: string, initially: 'open' | string = 'open') {
    this.closedBecause = initially === 'open' ? undefined : initially;
  }

  get open(): boolean { return this.closedBecause === undefined; }
  get reason(): string | undefined { return this.closedBecause; }

  close(why: string): void {
    this.closedBecause = why;
    this.closings += 1;
  }
  reopen(): void { this.closedBecause = undefined; }

  /** Runs a query if open; a Mongo that does not answer is UNAVAILABLE too. */
  async serve<T>(query: () => Promise<T>): Promise<T> {
    if (this.closedBecause !== undefined) throw new ReadModelNotServing(this.dependency, this.closedBecause);
    const closings = this.closings;
    try {
      const answer = await query();
      if (this.closings !== closings) throw new ReadModelNotServing(this.dependency, this.closedBecause ?? 'the store restarted while the query ran');
      return answer;
    } catch (err) {
      if (err instanceof ReadModelNotServing) throw err;
      if (err instanceof ReadModelUnavailable || isMongoUnavailable(err)) {
        throw new ReadModelNotServing(this.dependency, err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
  }
}
