import {
  EVENT_SCHEMA_VERSION,
  LedgerError,
  RevisionConflict,
  accountStream,
  decide,
  type AccountCommand,
  type AccountEvent,
  type EventMetadata,
} from '../domain/index.js';
import { AccountCache } from './account-cache.js';
import { DeadlineExceeded } from './errors.js';
import type { AccountEventStore } from './event-store.js';
import { loadAccount } from './load-account.js';
import { applyAppended, currentOutcome, type CommandOutcome, type LoadedAccount } from './loaded-account.js';
import { OneAtATime } from './one-at-a-time.js';

export type CommandEnvelope = {
  readonly command: AccountCommand;
  /** Client-chosen uuid, the idempotency key; event ids derive from it. */
  readonly commandId: string;
  /** Pinned: apply only at exactly this revision, else RevisionConflict (no re-decide). */
  readonly expectedRevision?: bigint;
  readonly correlationId?: string;
  readonly causationId?: string;
  /** Epoch milliseconds after which the caller no longer waits. */
  readonly deadline?: number;
};

export type HandledCommand = CommandOutcome & {
  /** Times the command was decided again after a conflict (0 normally). */
  readonly retries: number;
  /** True when the command was already in the stream and nothing was appended. */
  readonly duplicate: boolean;
};

export type CommandHandlerOptions = {
  readonly store: AccountEventStore;
  /** Re-decide attempts after a revision conflict (COMMAND_MAX_RETRIES). */
  readonly maxRetries: number;
  readonly cacheSize?: number;
  readonly clock?: () => Date;
  readonly random?: () => number;
  /** Called after each successful append (the snapshot policy hooks in here). */
  readonly afterAppend?: (loaded: LoadedAccount) => void;
};

/**
 * load → decide → append with the revision decided on (STYLE.md, Emmett's recipe).
 * Commands on one stream run one at a time in this process; against other
 * writers a conflict catches up from the cached revision and decides again.
 */
export class CommandHandler {
  private readonly cache: AccountCache;
  private readonly lanes = new OneAtATime();
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(private readonly options: CommandHandlerOptions) {
    this.cache = new AccountCache(options.cacheSize ?? 10_000);
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  handle(envelope: CommandEnvelope): Promise<HandledCommand> {
    const stream = accountStream(envelope.command.data.accountId);
    return this.lanes.run(stream, () => this.handleInLane(envelope));
  }

  private async handleInLane(envelope: CommandEnvelope): Promise<HandledCommand> {
    const { store, maxRetries } = this.options;
    const accountId = envelope.command.data.accountId;
    const cached = this.cache.get(accountStream(accountId));
    let loaded = cached ?? (await loadAccount(store, accountId));
    let fresh = cached === undefined; // read from the store during this call
    let retries = 0;
    for (;;) {
      this.checkDeadline(envelope);
      const earlier = loaded.commands.get(envelope.commandId);
      if (earlier) return { ...earlier, retries, duplicate: true };

      const pinned = envelope.expectedRevision;
      if (pinned !== undefined && pinned !== loaded.revision) {
        if (fresh) throw new RevisionConflict(pinned, loaded.revision);
        ({ loaded, fresh } = await this.catchUp(loaded));
        continue;
      }

      let events: AccountEvent[];
      try {
        events = decide(envelope.command, loaded.state);
      } catch (e) {
        // A refusal must rest on the newest state: a cached one may miss another writer's events.
        if (!fresh && e instanceof LedgerError && e.kind !== 'invalid') {
          ({ loaded, fresh } = await this.catchUp(loaded));
          continue;
        }
        throw e;
      }
      if (events.length === 0) return { ...currentOutcome(loaded), retries, duplicate: false };

      const occurredAt = this.occurredAt(loaded);
      const metadata = this.metadata(envelope, occurredAt);
      try {
        const appended = await store.appendToStream(
          loaded.stream,
          events.map((event) => ({ event, metadata })),
          loaded.revision,
        );
        const next = applyAppended(loaded, events, envelope.commandId, occurredAt, appended);
        this.cache.set(next.loaded);
        this.options.afterAppend?.(next.loaded);
        return { ...next.outcome, retries, duplicate: false };
      } catch (e) {
        if (!(e instanceof RevisionConflict)) throw e;
        ({ loaded, fresh } = await this.catchUp(loaded));
        if (pinned !== undefined) continue; // answers as a duplicate, or ABORTED with the actual revision
        if (retries >= maxRetries) throw new RevisionConflict(e.expectedRevision, loaded.revision);
        retries += 1;
        await this.backOff(retries);
      }
    }
  }

  private async catchUp(loaded: LoadedAccount): Promise<{ loaded: LoadedAccount; fresh: true }> {
    const next = await loadAccount(this.options.store, loaded.accountId, loaded);
    this.cache.set(next);
    return { loaded: next, fresh: true };
  }

  /** Never earlier than the stream's last event, so "as of a time" reads a prefix of the stream. */
  private occurredAt(loaded: LoadedAccount): string {
    const now = this.clock().toISOString();
    return loaded.lastOccurredAt !== undefined && loaded.lastOccurredAt > now ? loaded.lastOccurredAt : now;
  }

  private metadata(envelope: CommandEnvelope, occurredAt: string): EventMetadata {
    return {
      occurredAt,
      commandId: envelope.commandId,
      correlationId: envelope.correlationId ?? envelope.commandId,
      causationId: envelope.causationId ?? envelope.commandId,
      schemaVersion: EVENT_SCHEMA_VERSION,
    };
  }

  private checkDeadline(envelope: CommandEnvelope): void {
    if (envelope.deadline !== undefined && Date.now() >= envelope.deadline) throw new DeadlineExceeded();
  }

  /** Jittered, capped exponential back-off so competing writers stop colliding in lockstep. */
  private backOff(attempt: number): Promise<void> {
    const capMs = Math.min(100, 2 ** attempt);
    return new Promise((resolve) => setTimeout(resolve, this.random() * capMs));
  }
}
