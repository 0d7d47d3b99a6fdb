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
import type { AccountSnapshots } from './account-snapshot.js';
import { loadAccount } from './load-account.js';
import { applyAppended, currentOutcome, outcomeOf, type CommandOutcome, type LoadedAccount } from './loaded-account.js';
import { BatchPerStream, settle, type Settled } from './batch-per-stream.js';
import { planBatch } from './command-batch.js';
import { answerToRetry, commandIdentity } from './command-fingerprint.js';
import { findPostedTransaction } from './posted-transaction.js';
import type { CommandEnvelope } from './command-envelope.js';

export type { CommandEnvelope } from './command-envelope.js';

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
  /** Called after each successful append with the revision before it (the snapshot policy hooks in here). */
  readonly afterAppend?: (loaded: LoadedAccount, previousRevision: bigint) => void;
  /** Where a load without a cached state starts (issue 6); without it, from the first event. */
  readonly snapshots?: AccountSnapshots;
  /** Most commands for one account decided together and appended at once (default 100). */
  readonly maxBatch?: number;
};

/**
 * load → decide → append with the revision decided on (STYLE.md, Emmett's recipe).
 * Commands on one stream are handled one batch at a time in this process
 * (those that queued while an append was in flight are decided in order and
 * appended together); against other writers a conflict catches up from the
 * cached revision and decides again.
 */
export class CommandHandler {
  private readonly cache: AccountCache;
  private readonly batches: BatchPerStream<CommandEnvelope, HandledCommand>;
  private readonly clock: () => Date;
  private readonly random: () => number;

  constructor(private readonly options: CommandHandlerOptions) {
    this.cache = new AccountCache(options.cacheSize ?? 10_000);
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.batches = new BatchPerStream((_stream, envelopes) => this.handleBatch(envelopes), options.maxBatch ?? 100);
  }

  /**
   * The account's owner, or undefined when it does not exist (authorization,
   * issue 13). An owner never changes once the account is opened, so a cached
   * state answers; a load fills the cache the command then uses.
   */
  async ownerOf(accountId: string): Promise<string | undefined> {
    const cached = this.cache.get(accountStream(accountId));
    if (cached !== undefined && cached.state.status !== 'none') return cached.state.ownerId;
    const loaded = await loadAccount(this.options.store, accountId, cached, cached === undefined ? this.options.snapshots : undefined);
    this.cache.set(loaded);
    return loaded.state.status === 'none' ? undefined : loaded.state.ownerId;
  }

  async handle(envelope: CommandEnvelope): Promise<HandledCommand> {
    const stream = accountStream(envelope.command.data.accountId);
    const command = envelope.command;
    if (command.type === 'ReverseTransaction' && command.data.original === undefined) {
      const original = await findPostedTransaction(this.options.store, stream, command.data.transactionId);
      return this.batches.submit(stream, { ...envelope, command: { ...command, data: { ...command.data, original } } });
    }
    return this.batches.submit(stream, envelope);
  }

  /** Commands for one account that queued together: one append for all that can go together. */
  private async handleBatch(envelopes: readonly CommandEnvelope[]): Promise<Settled<HandledCommand>[]> {
    const [first] = envelopes;
    if (first === undefined) return [];
    if (envelopes.length === 1) return [await settle(this.handleOne(first))];
    const accountId = first.command.data.accountId;
    const cached = this.cache.get(accountStream(accountId));
    const loaded = await this.knowingCommands(cached ?? (await loadAccount(this.options.store, accountId, undefined, this.options.snapshots)), envelopes);
    const plan = planBatch(loaded, cached === undefined, envelopes, Date.now());
    const results: Settled<HandledCommand>[] = [];
    for (const [index, answer] of plan.answered) {
      const earlier = 'duplicateOf' in answer ? loaded.commands.get(answer.duplicateOf) : undefined;
      results[index] = earlier ? { ok: true, value: { ...outcomeOf(earlier), retries: 0, duplicate: true } } : { ok: false, error: 'error' in answer ? answer.error : undefined };
    }
    const alone = [...plan.alone];
    if (plan.planned.length > 0) {
      const occurredAt = this.occurredAt(loaded);
      try {
        await this.options.store.appendToStream(
          loaded.stream,
          plan.planned.flatMap((p) => p.events.map((event) => ({ event, metadata: this.metadata(p.envelope, occurredAt) }))),
          loaded.revision,
        );
        // Read our events back: each command's answer is where its own last event landed, as any later reader sees it.
        const next = await loadAccount(this.options.store, accountId, loaded);
        this.cache.set(next);
        this.options.afterAppend?.(next, loaded.revision);
        for (const p of plan.planned) {
          const known = next.commands.get(p.envelope.commandId);
          results[p.index] = { ok: true, value: { ...(known ? outcomeOf(known) : currentOutcome(next)), retries: 0, duplicate: false } };
        }
      } catch (e) {
        // Another writer got in first: each command goes the careful way (catch up, decide again).
        if (e instanceof RevisionConflict) alone.push(...plan.planned.map((p) => p.index));
        // Any other failure is the appended commands' answer; the others keep theirs.
        else for (const p of plan.planned) results[p.index] = { ok: false, error: e };
      }
    }
    for (const index of alone.sort((a, b) => a - b)) {
      const envelope = envelopes[index];
      if (envelope) results[index] = await settle(this.handleOne(envelope));
    }
    return results;
  }

  /**
   * An account loaded from a snapshot lists the outcomes of recent commands
   * only; when one of these commands may be older (the snapshot's filter says
   * maybe), fold the whole stream so its original answer is known. Costs
   * time on a filter hit, never a second append.
   */
  private async knowingCommands(loaded: LoadedAccount, envelopes: readonly CommandEnvelope[]): Promise<LoadedAccount> {
    const older = loaded.olderCommands;
    if (older === undefined) return loaded;
    if (!envelopes.some((e) => !loaded.commands.has(e.commandId) && older.mightContain(e.commandId))) return loaded;
    const full = await loadAccount(this.options.store, loaded.accountId);
    this.cache.set(full);
    return full;
  }

  private async handleOne(envelope: CommandEnvelope): Promise<HandledCommand> {
    const { store, maxRetries } = this.options;
    const accountId = envelope.command.data.accountId;
    const cached = this.cache.get(accountStream(accountId));
    let loaded = await this.knowingCommands(cached ?? (await loadAccount(store, accountId, undefined, this.options.snapshots)), [envelope]);
    let fresh = cached === undefined; // read from the store during this call
    let retries = 0;
    const identity = commandIdentity(envelope.command);
    for (;;) {
      this.checkDeadline(envelope);
      const earlier = loaded.commands.get(envelope.commandId);
      if (earlier) return { ...answerToRetry(envelope.commandId, earlier, identity), retries, duplicate: true };

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
        const next = applyAppended(loaded, events, envelope.commandId, identity, occurredAt, appended);
        this.cache.set(next.loaded);
        this.options.afterAppend?.(next.loaded, loaded.revision);
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
    const { commandType, fingerprint } = commandIdentity(envelope.command);
    return {
      occurredAt,
      commandId: envelope.commandId,
      correlationId: envelope.correlationId ?? envelope.commandId,
      causationId: envelope.causationId ?? envelope.commandId,
      schemaVersion: EVENT_SCHEMA_VERSION,
      commandType,
      commandFingerprint: fingerprint,
      ...(envelope.principal === undefined ? {} : { actor: envelope.principal.id, authMethod: envelope.principal.method }),
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
