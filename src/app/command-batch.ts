import { LedgerError, RevisionConflict, decide, evolve, type AccountEvent } from '../domain/index.js';
import type { CommandEnvelope } from './command-envelope.js';
import { DeadlineExceeded } from './errors.js';
import type { LoadedAccount } from './loaded-account.js';
import { answerToRetry, commandIdentity } from './command-fingerprint.js';

/** One command of a batch and the events it decided. */
export type PlannedCommand = { readonly index: number; readonly envelope: CommandEnvelope; readonly events: AccountEvent[] };

/** What to do with each command of a batch. */
export type BatchPlan = {
  /** Commands whose events go into one append, in order. */
  readonly planned: PlannedCommand[];
  /** Answered without appending: already in the stream, refused, or past the deadline. */
  readonly answered: Map<number, { duplicateOf: string } | { error: unknown }>;
  /** To decide again on the store's newest state: pinned revisions and refusals on a cached state, repeats within the batch. */
  readonly alone: number[];
};

/**
 * Decides a batch of commands for one account in arrival order, each on the
 * state left by the ones before it, exactly as if they had come one by one.
 * Pure apart from reading the clock for deadlines.
 */
export function planBatch(loaded: LoadedAccount, fresh: boolean, envelopes: readonly CommandEnvelope[], now: number): BatchPlan {
  const plan: BatchPlan = { planned: [], answered: new Map(), alone: [] };
  const inBatch = new Set<string>();
  let state = loaded.state;
  let revision = loaded.revision;
  envelopes.forEach((envelope, index) => {
    const known = loaded.commands.get(envelope.commandId);
    if (envelope.deadline !== undefined && now >= envelope.deadline) {
      plan.answered.set(index, { error: new DeadlineExceeded() });
    } else if (known !== undefined) {
      // A retry answers as the first call did; another command under its command_id is refused.
      try {
        answerToRetry(envelope.commandId, known, commandIdentity(envelope.command));
        plan.answered.set(index, { duplicateOf: envelope.commandId });
      } catch (e) {
        plan.answered.set(index, { error: e });
      }
    } else if (inBatch.has(envelope.commandId)) {
      plan.alone.push(index); // answered as a retry once the first copy is in the stream
    } else if (envelope.expectedRevision !== undefined && envelope.expectedRevision !== revision) {
      // Pinned: a mismatch on the store's newest state is the answer; on a cached state, look again.
      if (fresh) plan.answered.set(index, { error: new RevisionConflict(envelope.expectedRevision, revision) });
      else plan.alone.push(index);
    } else {
      try {
        const events = decide(envelope.command, state);
        state = events.reduce(evolve, state);
        revision += BigInt(events.length);
        plan.planned.push({ index, envelope, events });
        inBatch.add(envelope.commandId);
      } catch (e) {
        // A refusal on a cached state is re-checked against the store, one by one.
        if (fresh || !(e instanceof LedgerError) || e.kind === 'invalid') plan.answered.set(index, { error: e });
        else plan.alone.push(index);
      }
    }
  });
  return plan;
}
