import { MalformedEvent } from '../domain/event-codec.js';
import type { AccountSummaryDocument } from './account-documents.js';
import { appliedRevision, foldAccount, placeEvent, type EventOutcome } from './account-fold.js';
import { toRecordedAccountEvent, type RecordedAccountEvent } from './recorded-account-event.js';
import type { AccountHold, AccountStreamReader, GuardedSummary, ProjectionTargets, ReadModelStore } from './read-model-store.js';
import type { AccountTransactionDocument } from './account-documents.js';
import type { AccountEventDecoder } from './event-repairs.js';

/** Thrown when a stream holds an event the projection cannot decode. */
export class PoisonInStream extends Error {
  override readonly name = 'PoisonInStream';
  constructor(readonly accountId: string, readonly revision: bigint, readonly eventId: string, readonly reason: string) {
    super(`account ${accountId} revision ${revision}: ${reason}`);
  }
}

export type ProjectedBatch = {
  /** Outcome per delivered event id. */
  readonly outcomes: ReadonlyMap<string, EventOutcome>;
  /** Store writes this batch took (one per batch unless guards conflicted). */
  readonly writes: number;
};

type AccountPlan = {
  readonly summary: GuardedSummary | undefined;
  readonly transactions: readonly AccountTransactionDocument[];
  readonly outcome: EventOutcome;
  readonly releaseHold: boolean;
  /** Events from this revision on wait behind an undecodable one. */
  readonly heldFrom?: bigint;
};

const MAX_CONFLICT_ROUNDS = 10;

/**
 * Applies a batch of account events to the read model, exactly once in
 * effect: per account it skips what the stored revision already covers,
 * fills holes from the stream, folds, and writes every account of the batch
 * in one guarded store write. Reusable for rebuilds: pass other targets.
 */
export class AccountProjectionWriter {
  constructor(
    private readonly store: ReadModelStore,
    private readonly streams: AccountStreamReader,
    /** The same decoder the projector uses, so gap fills see the same repairs. */
    private readonly decode: AccountEventDecoder = toRecordedAccountEvent,
  ) {}

  async project(targets: ProjectionTargets, events: readonly RecordedAccountEvent[]): Promise<ProjectedBatch> {
    const byAccount = groupByAccount(events);
    const outcomes = new Map<string, EventOutcome>();
    const holds = await this.store.loadHolds([...byAccount.keys()]);
    let pending = [...byAccount.keys()];
    let writes = 0;
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === MAX_CONFLICT_ROUNDS) throw new Error(`accounts still contended after ${round} rounds: ${pending.slice(0, 5).join(', ')}`);
      const stored = await this.store.loadSummaries(targets, pending);
      const plans = new Map<string, AccountPlan>();
      for (const accountId of pending) {
        plans.set(accountId, await this.plan(accountId, stored.get(accountId), byAccount.get(accountId) ?? [], holds.get(accountId)));
      }
      const summaries = [...plans.values()].flatMap((p) => (p.summary === undefined ? [] : [p.summary]));
      const transactions = [...plans.values()].flatMap((p) => p.transactions);
      let conflicts: readonly string[] = [];
      if (summaries.length > 0 || transactions.length > 0) {
        conflicts = (await this.store.writeBatch(targets, { transactions, summaries })).conflicts;
        writes += 1;
      }
      const retry = new Set(conflicts);
      for (const [accountId, plan] of plans) {
        if (retry.has(accountId)) continue;
        for (const e of byAccount.get(accountId) ?? []) outcomes.set(e.eventId, outcomeOf(e, stored.get(accountId), plan));
        if (plan.releaseHold) await this.store.releaseHold(accountId);
      }
      pending = [...retry];
    }
    return { outcomes, writes };
  }

  private async plan(accountId: string, stored: AccountSummaryDocument | undefined, events: readonly RecordedAccountEvent[], hold: AccountHold | undefined): Promise<AccountPlan> {
    const from = appliedRevision(stored);
    const fresh = events.filter((e) => placeEvent(from, e.revision) !== 'duplicate');
    const last = fresh.at(-1);
    if (last === undefined) return { summary: undefined, transactions: [], outcome: 'duplicate', releaseHold: false };
    const contiguous = fresh.every((e, i) => e.revision === from + 1n + BigInt(i));
    try {
      let sequence = contiguous ? fresh : await this.readRecorded(accountId, from + 1n, last.revision);
      let releaseHold = false;
      if (hold !== undefined && last.revision >= hold.revision) {
        // The event that held the account is in: the later events were acked
        // while it waited, so they come from the stream, up to its end.
        sequence = [...sequence, ...(await this.readRecorded(accountId, last.revision + 1n, undefined))];
        releaseHold = true;
      }
      const fold = foldAccount(stored, from, sequence);
      const summary = fold.summary === undefined || fold.revision === from ? undefined : { next: fold.summary, expectedRevision: stored?.revision };
      return { summary, transactions: fold.transactions, outcome: contiguous ? 'applied' : 'gap', releaseHold };
    } catch (err) {
      if (!(err instanceof PoisonInStream)) throw err;
      await this.store.putHold({ accountId, revision: err.revision, eventId: err.eventId, reason: err.reason });
      // Everything before the bad event still applies; nothing after it does.
      const prefix = err.revision > from + 1n ? await this.readRecorded(accountId, from + 1n, err.revision - 1n) : [];
      const fold = foldAccount(stored, from, prefix);
      const summary = fold.summary === undefined || fold.revision === from ? undefined : { next: fold.summary, expectedRevision: stored?.revision };
      return { summary, transactions: fold.transactions, outcome: 'gap', releaseHold: false, heldFrom: err.revision };
    }
  }

  private async readRecorded(accountId: string, from: bigint, to: bigint | undefined): Promise<RecordedAccountEvent[]> {
    const stored = await this.streams.readAccount(accountId, from, to);
    return stored.map((s) => {
      try {
        return this.decode(s);
      } catch (err) {
        if (err instanceof MalformedEvent) throw new PoisonInStream(accountId, s.revision, s.eventId, err.message);
        throw err;
      }
    });
  }
}

function outcomeOf(e: RecordedAccountEvent, stored: AccountSummaryDocument | undefined, plan: AccountPlan): EventOutcome {
  if (e.revision <= appliedRevision(stored)) return 'duplicate';
  if (plan.heldFrom !== undefined && e.revision >= plan.heldFrom) return 'held';
  if (plan.outcome === 'applied' && e.event === undefined) return 'ignored';
  return plan.outcome;
}

function groupByAccount(events: readonly RecordedAccountEvent[]): Map<string, RecordedAccountEvent[]> {
  const byAccount = new Map<string, RecordedAccountEvent[]>();
  for (const e of events) {
    const list = byAccount.get(e.accountId);
    if (list === undefined) byAccount.set(e.accountId, [e]);
    else list.push(e);
  }
  for (const list of byAccount.values()) {
    list.sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
    // A redelivery inside one batch: keep the first copy of each revision.
    for (let i = list.length - 1; i > 0; i -= 1) if (list[i]?.revision === list[i - 1]?.revision) list.splice(i, 1);
  }
  return byAccount;
}
