import { EVENT_SCHEMA_VERSION, RevisionConflict, accountStream, type AccountEvent, type EventMetadata } from '../domain/index.js';
import { AccountCache } from './account-cache.js';
import type { AccountEventStore, StoredEvent } from './event-store.js';
import type { AccountSnapshots } from './account-snapshot.js';
import { loadAccount } from './load-account.js';
import { applyAppended, applyStored, currentOutcome, emptyAccount, outcomeOf, type CommandOutcome, type LoadedAccount } from './loaded-account.js';
import { BatchPerStream, type Settled } from './batch-per-stream.js';
import { planBatch } from './command-batch.js';
import { commandIdentity, type CommandIdentity } from './command-fingerprint.js';
import { findPostedTransaction } from './posted-transaction.js';
import { findHandledCommand } from './find-handled-command.js';
import { DEFAULT_COMMAND_WINDOW } from './command-window.js';
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
  /**
   * Command outcomes each account keeps one by one (default DEFAULT_COMMAND_WINDOW);
   * older ids go into a filter and their retries are looked up in the stream.
   * At least maxBatch: a batch's answers are read from the window after its append.
   */
  readonly commandWindow?: number;
};

/**
 * aggregate → decide → append → answer, one path (STYLE.md, Emmett's recipe;
 * see handleBatch). Commands on one stream are handled one batch at a time in
 * this process (those that queued while an append was in flight are decided
 * in order and appended together; a lone command is a batch of one); against
 * other writers a conflict catches up from the cached revision and decides again.
 */
export class CommandHandler {
  private readonly cache: AccountCache;
  private readonly batches: BatchPerStream<CommandEnvelope, HandledCommand>;
  private readonly clock: () => Date;
  private readonly random: () => number;
  private readonly commandWindow: number;

  constructor(private readonly options: CommandHandlerOptions) {
    const maxBatch = options.maxBatch ?? 100;
    this.commandWindow = options.commandWindow ?? Math.max(DEFAULT_COMMAND_WINDOW, maxBatch);
    if (this.commandWindow < maxBatch) throw new RangeError(`commandWindow (${this.commandWindow}) must be at least maxBatch (${maxBatch})`);
    this.cache = new AccountCache(options.cacheSize ?? 10_000);
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.batches = new BatchPerStream((_stream, envelopes) => this.handleBatch(envelopes), maxBatch);
  }

  /**
   * The account's owner, or undefined when it does not exist (authorization,
   * issue 13). An owner never changes once the account is opened, so a cached
   * state answers; a load fills the cache the command then uses.
   */
  async ownerOf(accountId: string): Promise<string | undefined> {
    const cached = this.cache.get(accountStream(accountId));
    if (cached !== undefined && cached.state.status !== 'none') return cached.state.ownerId;
    const loaded = await this.load(accountId, cached);
    this.cache.set(loaded);
    return loaded.state.status === 'none' ? undefined : loaded.state.ownerId;
  }

  /**
   * An event of an account's stream this process learnt of otherwise (the
   * transfer process's subscription delivers the events other writers
   * append): when it is the next one after the cached state, the state moves
   * on, so the next command appends at the right revision instead of
   * conflicting and reading. An account's first event starts its state, as
   * a load from the start would, so an account opened while this process
   * follows the stream is never loaded (a cold load read the whole stream).
   * Anything else is ignored (an account not cached, a gap or an
   * undecodable event: a load or the conflict path catches up as before).
   */
  observe(accountId: string, stored: StoredEvent): void {
    if (stored.undecodable !== undefined) return;
    const cached = this.cache.get(accountStream(accountId)) ?? (stored.revision === 0n ? emptyAccount(accountId, this.commandWindow) : undefined);
    if (cached === undefined || stored.revision !== cached.revision + 1n) return;
    this.cache.set(applyStored(cached, stored));
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

  /**
   * The one recipe, for a single command or several queued on one account:
   * 1. aggregate: the account as this process knows it (cache, else snapshot
   *    and later events), knowing the answers of commands already in it (the
   *    last commandWindow listed, an older one looked up in the stream);
   * 2. decide: each waiting command in arrival order, on the state the ones
   *    before it left (planBatch); retries and refusals answer without events;
   * 3. append: the decided events in one write, at the revision decided on;
   * 4. answer: each command where its last event landed.
   * A command that must see the store's newest state (a pinned revision or a
   * refusal decided on a cached state, a repeat within the batch) and every
   * command of an append that lost a race go round again after catching up;
   * a lost race counts as a retry (COMMAND_MAX_RETRIES), with back-off.
   */
  private async handleBatch(envelopes: readonly CommandEnvelope[]): Promise<Settled<HandledCommand>[]> {
    const results: Settled<HandledCommand>[] = [];
    let { loaded, fresh } = await this.aggregate(envelopes);
    let pending = envelopes.map((_, i) => i);
    let retries = 0;
    while (pending.length > 0) {
      await this.recallOlderCommands(loaded, pending.map((i) => envelopes[i]!));
      const plan = planBatch(loaded, fresh, pending.map((i) => envelopes[i]!), Date.now());
      for (const [k, answer] of plan.answered) {
        const known = 'duplicateOf' in answer ? loaded.commands.get(answer.duplicateOf) : undefined;
        results[pending[k]!] = known ? { ok: true, value: { ...outcomeOf(known), retries, duplicate: true } } : { ok: false, error: 'error' in answer ? answer.error : undefined };
      }
      let again = plan.alone.map((k) => pending[k]!);
      if (plan.planned.length > 0) {
        try {
          const next = await this.append(loaded, plan.planned.map((p) => p.envelope), plan.planned.map((p) => p.events));
          for (const p of plan.planned) {
            const known = next.commands.get(p.envelope.commandId);
            results[pending[p.index]!] = { ok: true, value: { ...(known ? outcomeOf(known) : currentOutcome(next)), retries, duplicate: false } };
          }
          fresh ||= next !== loaded; // after an append we know the stream up to it
          loaded = next;
        } catch (e) {
          const decided = plan.planned.map((p) => pending[p.index]!);
          if (!(e instanceof RevisionConflict)) {
            for (const index of decided) results[index] = { ok: false, error: e };
          } else {
            ({ loaded, fresh } = await this.catchUp(loaded));
            // A pinned command goes round for its answer (a duplicate, or ABORTED with the actual revision); the others while retries last.
            const pinned = decided.filter((i) => envelopes[i]!.expectedRevision !== undefined);
            const unpinned = decided.filter((i) => envelopes[i]!.expectedRevision === undefined);
            if (unpinned.length > 0 && retries >= this.options.maxRetries) {
              for (const index of unpinned) results[index] = { ok: false, error: new RevisionConflict(e.expectedRevision, loaded.revision) };
              again.push(...pinned);
            } else {
              if (unpinned.length > 0) {
                retries += 1;
                await this.backOff(retries);
              }
              again.push(...decided);
            }
            again.sort((a, b) => a - b);
          }
        }
      }
      if (again.length > 0 && !fresh) ({ loaded, fresh } = await this.catchUp(loaded));
      pending = again;
    }
    return results;
  }

  /** Step 1: the cached account, else a load (from the latest snapshot); `fresh` when read from the store now. */
  private async aggregate(envelopes: readonly CommandEnvelope[]): Promise<{ loaded: LoadedAccount; fresh: boolean }> {
    const accountId = envelopes[0]!.command.data.accountId;
    const cached = this.cache.get(accountStream(accountId));
    if (cached !== undefined) return { loaded: cached, fresh: false };
    // Cached at once: a batch that appends nothing (retries, refusals) would otherwise load it again next time.
    const loaded = await this.load(accountId);
    this.cache.set(loaded);
    return { loaded, fresh: true };
  }

  /** From what is known (`from`), else from the latest snapshot, else from the start. */
  private load(accountId: string, from?: LoadedAccount): Promise<LoadedAccount> {
    return loadAccount(this.options.store, accountId, from, from === undefined ? this.options.snapshots : undefined, this.commandWindow);
  }

  /**
   * Step 3: one append at the revision the events were decided on, then the
   * account after it. One command's answer is the append's own result; for
   * several, our events are read back, so each command's answer is where its
   * own last event landed, as any later reader sees it.
   */
  private async append(loaded: LoadedAccount, envelopes: readonly CommandEnvelope[], events: readonly (readonly AccountEvent[])[]): Promise<LoadedAccount> {
    if (events.every((e) => e.length === 0)) {
      // Nothing to write (a decision with no events): each answers the current state.
      return loaded;
    }
    const occurredAt = this.occurredAt(loaded);
    // The identity once per command: its fingerprint is a hash, and every event's metadata carries it.
    const decided = envelopes.map((envelope, i) => ({ envelope, identity: commandIdentity(envelope.command), events: events[i] ?? [] }));
    const appended = await this.options.store.appendToStream(
      loaded.stream,
      decided.flatMap(({ envelope, identity, events }) => {
        const metadata = this.metadata(envelope, identity, occurredAt);
        return events.map((event) => ({ event, metadata }));
      }),
      loaded.revision,
    );
    const [only] = decided;
    const next = decided.length === 1 && only !== undefined
      ? applyAppended(loaded, only.events, only.envelope.commandId, only.identity, occurredAt, appended).loaded
      : await this.load(loaded.accountId, loaded);
    this.cache.set(next);
    this.options.afterAppend?.(next, loaded.revision);
    return next;
  }

  /**
   * Part of step 1, before each decision: a command the account's window
   * does not list but its filter may hold (a retry older than the window,
   * or before a snapshot) is looked up in the stream, and found, joins the
   * window, so planBatch answers it as its first call was. Costs a read on
   * such a retry or a filter error, never a second append.
   */
  private async recallOlderCommands(loaded: LoadedAccount, envelopes: readonly CommandEnvelope[]): Promise<void> {
    for (const { commandId } of envelopes) {
      // Once found, a repeat within the batch is listed and not looked up again.
      if (!loaded.commands.mayBeOlder(commandId)) continue;
      const known = await findHandledCommand(this.options.store, loaded.stream, loaded.accountId, commandId);
      if (known !== undefined) loaded.commands.record(commandId, known);
    }
  }

  private async catchUp(loaded: LoadedAccount): Promise<{ loaded: LoadedAccount; fresh: true }> {
    const next = await this.load(loaded.accountId, loaded);
    this.cache.set(next);
    return { loaded: next, fresh: true };
  }

  /** Never earlier than the stream's last event, so "as of a time" reads a prefix of the stream. */
  private occurredAt(loaded: LoadedAccount): string {
    const now = this.clock().toISOString();
    return loaded.lastOccurredAt !== undefined && loaded.lastOccurredAt > now ? loaded.lastOccurredAt : now;
  }

  private metadata(envelope: CommandEnvelope, { commandType, fingerprint }: CommandIdentity, occurredAt: string): EventMetadata {
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

  /** Jittered, capped exponential back-off so competing writers stop colliding in lockstep. */
  private backOff(attempt: number): Promise<void> {
    const capMs = Math.min(100, 2 ** attempt);
    return new Promise((resolve) => setTimeout(resolve, this.random() * capMs));
  }
}
