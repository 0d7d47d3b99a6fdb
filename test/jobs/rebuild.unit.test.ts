import { describe, expect, test } from 'vitest';
import { ReadStoreLostData, runRebuild, type RebuildControl, type RebuildSource, type RebuildTarget } from '../../src/readmodels/rebuild.js';
import type { RebuildProgress } from '../../src/readmodels/rebuild-progress.js';
import type { StoredEvent } from '../../src/readmodels/recorded-account-event.js';

/** A log of N events as positions 1..N (contents do not matter to the orchestration). */
function logOf(n: number): RebuildSource & { reads: number } {
  const events: StoredEvent[] = Array.from({ length: n }, (_, i) => ({
    eventId: `e${i + 1}`, streamId: 'account-a', revision: BigInt(i), commitPosition: BigInt(i + 1),
    type: 'MoneyDeposited', data: { amount: '1' }, metadata: undefined, created: new Date(0),
  }));
  const source = {
    reads: 0,
    head: async () => BigInt(n),
    page: async (after: { commit: bigint } | undefined, max: number) => {
      const from = after ? Number(after.commit) : 0;
      const page = events.slice(from, from + max);
      source.reads += page.length;
      const last = page.at(-1)?.commitPosition;
      return { events: page, last: last === undefined ? (after ? { commit: after.commit, prepare: after.commit } : undefined) : { commit: last, prepare: last }, atHead: from + max >= n };
    },
  };
  return source;
}

function fakeTarget(): RebuildTarget & { applied: string[]; dropped: boolean; finished: boolean } {
  const t = {
    collection: 'summaries_new', applied: [] as string[], dropped: false, finished: false,
    prepare: async () => {},
    apply: async (events: readonly StoredEvent[]) => { t.applied.push(...events.map((e) => e.eventId)); },
    finish: async () => { t.finished = true; },
    drop: async () => { t.dropped = true; },
  };
  return t;
}

function control(recorded?: RebuildProgress, cancelAfter = Infinity): RebuildControl & { history: RebuildProgress[]; drops: string[] } {
  let calls = 0;
  const c = {
    history: [] as RebuildProgress[],
    drops: [] as string[],
    recorded: () => c.history.at(-1) ?? recorded,
    record: async (p: RebuildProgress) => { c.history.push(p); },
    cancelRequested: async () => ++calls > cancelAfter,
    scheduleDrop: async (name: string) => { c.drops.push(name); },
  };
  return c;
}

const registry = () => {
  const r = { active: 'summaries_old', flips: 0, activeCollection: async () => r.active, setActiveCollection: async (_p: string, c: string) => { r.active = c; r.flips++; } };
  return r;
};
const opts = { projection: 'account_summaries', batchSize: 10, settleMs: 0 };

describe('runRebuild', () => {
  test('given the read store recreated its registry mid-rebuild (in-memory server restarted), when the rebuild reaches the flip, then readers stay where they are', async () => {
    const source = logOf(35);
    const target = fakeTarget();
    let epoch = '2026-11-29T10:00:00.000Z';
    const reg = Object.assign(registry(), { registeredAt: async () => epoch });
    const realApply = target.apply;
    target.apply = async (events) => {
      await realApply(events);
      epoch = '2026-11-29T10:05:00.000Z'; // the registry entry was created anew
    };
    await expect(runRebuild(source, target, reg, control(), opts)).rejects.toBeInstanceOf(ReadStoreLostData);
    expect(reg.flips).toBe(0);
  });

  test('given the same registry entry throughout, the rebuild flips', async () => {
    const reg = Object.assign(registry(), { registeredAt: async () => '2026-11-29T10:00:00.000Z' });
    const out = await runRebuild(logOf(35), fakeTarget(), reg, control(), opts);
    expect(out.phase).toBe('completed');
    expect(reg.flips).toBe(1);
  });

  test('copies the whole log, flips once, and schedules the old collection drop', async () => {
    const source = logOf(35);
    const target = fakeTarget();
    const reg = registry();
    const ctl = control();
    const out = await runRebuild(source, target, reg, ctl, opts);
    expect(out.phase).toBe('completed');
    expect(target.applied).toHaveLength(35);
    expect(reg.active).toBe('summaries_new');
    expect(reg.flips).toBe(1);
    expect(ctl.drops).toEqual(['summaries_old']);
    expect(target.finished).toBe(true);
    expect(ctl.history.at(-1)?.eventsDone).toBe(35);
  });

  test('resumes after the recorded position instead of starting over', async () => {
    const source = logOf(35);
    const target = fakeTarget();
    const recorded: RebuildProgress = {
      phase: 'copying', position: { commit: '20', prepare: '20' }, headPosition: '35', eventsDone: 20, eventsPerSecond: 0,
      replacing: 'summaries_old', startedAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), flippedAt: null,
    };
    const ctl = control(recorded);
    const out = await runRebuild(source, target, registry(), ctl, opts);
    expect(out.phase).toBe('completed');
    expect(target.applied[0]).toBe('e21');
    expect(target.applied).toHaveLength(15);
    expect(out.progress.eventsDone).toBe(35);
  });

  test('a cancel between batches drops the target and leaves readers where they were', async () => {
    const target = fakeTarget();
    const reg = registry();
    const out = await runRebuild(logOf(35), target, reg, control(undefined, 2), opts);
    expect(out.phase).toBe('cancelled');
    expect(target.dropped).toBe(true);
    expect(reg.active).toBe('summaries_old');
    expect(reg.flips).toBe(0);
  });
});
