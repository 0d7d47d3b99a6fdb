import { CommandIdFilter } from './command-id-filter.js';
import type { KnownCommand } from './loaded-account.js';

/**
 * How many command outcomes an account keeps one by one by default. A retry
 * nearly always follows its first call within a few commands; an older one
 * is still recognised (the filter below), at the cost of a stream read.
 */
export const DEFAULT_COMMAND_WINDOW = 1_000;

/**
 * The commands an account has handled, in bounded memory: the outcomes of
 * the last `limit` command ids one by one (a retry of those is answered
 * without I/O), every older id in a Bloom filter. An id the filter may hold
 * is looked up in the stream (find-handled-command.ts); "no" is certain, so
 * a new command never costs a read unless the filter errs. Without the
 * bound, a busy long-lived account kept every id it ever saw (~100+ bytes
 * each; a full load of a million-event stream built a million entries).
 */
export class CommandWindow {
  // A Map iterates in insertion order: the first key is the oldest command.
  private readonly recent = new Map<string, KnownCommand>();

  constructor(
    readonly limit: number = DEFAULT_COMMAND_WINDOW,
    /** Every id that left the window (and, from a snapshot, every id before it). */
    readonly older: CommandIdFilter = CommandIdFilter.empty(),
  ) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`command window must be a positive integer, got ${limit}`);
  }

  get(commandId: string): KnownCommand | undefined {
    return this.recent.get(commandId);
  }

  has(commandId: string): boolean {
    return this.recent.has(commandId);
  }

  /** Not listed, but maybe handled before the window: the stream has the answer, if any. */
  mayBeOlder(commandId: string): boolean {
    return !this.recent.has(commandId) && this.older.mightContain(commandId);
  }

  /**
   * Records a command's outcome; a later event of the same command replaces
   * it in place (the answer is where the command ended). The oldest ids
   * beyond the limit move into the filter.
   */
  record(commandId: string, known: KnownCommand): void {
    this.recent.set(commandId, known);
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= this.limit) break;
      this.older.add(oldest);
      this.recent.delete(oldest);
    }
  }

  /** The same commands under another limit (a snapshot's window, held by a handler with its own). */
  withLimit(limit: number): CommandWindow {
    const resized = new CommandWindow(limit, this.older.copy());
    for (const [id, known] of this.recent) resized.record(id, known);
    return resized;
  }

  entries(): IterableIterator<[string, KnownCommand]> {
    return this.recent.entries();
  }

  keys(): IterableIterator<string> {
    return this.recent.keys();
  }

  get size(): number {
    return this.recent.size;
  }
}
