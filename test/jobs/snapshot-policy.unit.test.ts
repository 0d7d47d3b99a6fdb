import { describe, expect, test } from 'vitest';
import { snapshotPolicy } from '../../src/app/account-snapshot.js';
import { decodeAccountSnapshot, encodeAccountSnapshot } from '../../src/app/account-snapshot-codec.js';
import { emptyAccount, type LoadedAccount } from '../../src/app/index.js';
import { snapshotJobId } from '../../src/jobs/snapshot-job.js';
import { sweepForSnapshots } from '../../src/jobs/snapshot-sweep.js';

const at = (revision: bigint): LoadedAccount => ({ ...emptyAccount('a1'), revision });

describe('snapshot policy', () => {
  test.each([
    [-1n, 98n, false],
    [-1n, 99n, true], // the 100th event
    [98n, 99n, true],
    [99n, 100n, false],
    [150n, 198n, false],
    [150n, 260n, true], // one multi-event append over the line
  ])('an append from revision %s to %s asks for a snapshot: %s', (before, after, asked) => {
    const requested: bigint[] = [];
    snapshotPolicy({ request: (_id, r) => requested.push(r) }, 100)(at(after), before);
    expect(requested).toEqual(asked ? [after] : []);
  });

  test('job ids collapse within a revision bucket and differ across buckets', () => {
    expect(snapshotJobId('a1', 99, 100)).toBe(snapshotJobId('a1', 150, 100));
    expect(snapshotJobId('a1', 99, 100)).not.toBe(snapshotJobId('a1', 199, 100));
    expect(snapshotJobId('a1', 99, 100)).not.toBe(snapshotJobId('a2', 99, 100));
    expect(snapshotJobId('a1', 99, 100)).not.toContain(':'); // BullMQ refuses ':' in custom ids
  });
});

describe('snapshot codec', () => {
  test('round-trips the state and keeps only the last window of command outcomes', () => {
    const account = emptyAccount('a1');
    account.commands.record('old', { revision: 100n, position: 1n, balance: 5n });
    account.commands.record('recent', { revision: 240n, position: 2n, balance: 6n });
    const loaded: LoadedAccount = {
      ...account,
      state: { status: 'open', accountId: 'a1', ownerId: 'o1', currency: 'EUR', balance: 12_345_678_901_234n, txCount: 7, reversed: new Set(['e-1']), inFlightOut: 40n },
      revision: 250n,
      position: 9_999n,
      lastOccurredAt: '2026-01-15T10:00:00.000Z',
    };
    const json = JSON.parse(JSON.stringify(encodeAccountSnapshot({ loaded, openedAt: '2026-01-01T00:00:00.000Z', lastTxAt: undefined, closedAt: undefined }, 100)));
    const back = decodeAccountSnapshot(json, 250n);
    expect(back?.loaded.state).toEqual(loaded.state);
    expect(back?.loaded.position).toBe(9_999n);
    expect([...(back?.loaded.commands.keys() ?? [])]).toEqual(['recent']);
    expect(back?.openedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(decodeAccountSnapshot({ account: { status: 'open' } }, 1n)).toBeUndefined();
  });
});

describe('snapshot sweep', () => {
  test('finds the streams that crossed a multiple of N since the last sweep, across pages', async () => {
    const log = [
      ...Array.from({ length: 5 }, (_, i) => ({ streamId: 'account-a', revision: BigInt(96 + i) })), // 96..100: crosses at 99
      ...Array.from({ length: 5 }, (_, i) => ({ streamId: 'account-b', revision: BigInt(10 + i) })), // 10..14: no
    ];
    const source = {
      page: async (after: { commit: bigint; prepare: bigint } | undefined, max: number) => {
        const from = after ? Number(after.commit) + 1 : 0;
        const events = log.slice(from, from + max);
        const last = BigInt(from + events.length - 1);
        return { events, last: { commit: last, prepare: last }, atHead: from + max >= log.length };
      },
    };
    const { due, last } = await sweepForSnapshots(source, undefined, { every: 100, pageSize: 3, maxPages: 10 });
    expect([...due]).toEqual([['a', 100]]);
    expect(last?.commit).toBe(9n);
  });
});
