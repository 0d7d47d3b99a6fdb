import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BACKWARDS, END, EventStoreDBClient, START, type ResolvedEvent } from '@eventstore/db-client';
import { startEsdbServer } from '../../src/esdb-server/index.js';
import { collect } from './esdb-fixture.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface EpochInformation {
  epochPosition: number;
  epochNumber: number;
  epochId: string;
  prevEpochPosition: number;
  timeStamp: string;
  leaderInstanceId: string;
}

describe('a fresh node, as a real one, is not empty', () => {
  test('$all read from the start holds its $epoch-information event, with a position', async () => {
    const server = await startEsdbServer({ port: 0, memory: true });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      const all = await collect(client.readAll({ fromPosition: START }));
      expect(all.length).toBeGreaterThan(0);
      const [first] = all;
      expect(first!.event).toMatchObject({ streamId: '$epoch-information', type: '$epoch-information', revision: 0n, isJson: true });
      expect(first!.event!.position!.commit).toBeGreaterThanOrEqual(0n);
      const body = first!.event!.data as unknown as EpochInformation;
      expect(body).toMatchObject({ epochNumber: 0, prevEpochPosition: -1 });
      expect(body.epochId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.leaderInstanceId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.timeStamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
      // Backwards from the end finds it too: the head of a fresh log is a real position.
      expect(await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }))).toHaveLength(1);
      // A catch-up subscription to $all from the start gets it before it is caught up.
      const sub = client.subscribeToAll({ fromPosition: START });
      const seen: ResolvedEvent[] = [];
      await new Promise<void>((resolve) => {
        sub.on('data', (e: ResolvedEvent) => seen.push(e));
        sub.on('caughtUp', () => resolve());
      });
      await sub.unsubscribe();
      expect(seen.map((e) => e.event?.streamId)).toContain('$epoch-information');
    } finally {
      await client.dispose();
      await server.stop();
    }
  });

  test('each start writes the next epoch, chained to the previous one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-epoch-'));
    dirs.push(dir);
    for (let i = 0; i < 2; i++) await (await startEsdbServer({ port: 0, dataDir: dir })).stop();
    const server = await startEsdbServer({ port: 0, dataDir: dir });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      const epochs = await collect(client.readStream('$epoch-information'));
      expect(epochs.map((e) => e.event!.revision)).toEqual([0n, 1n, 2n]);
      const bodies = epochs.map((e) => e.event!.data as unknown as EpochInformation);
      expect(bodies.map((b) => b.epochNumber)).toEqual([0, 1, 2]);
      expect(bodies[1]!.prevEpochPosition).toBe(bodies[0]!.epochPosition);
      expect(bodies[2]!.prevEpochPosition).toBe(bodies[1]!.epochPosition);
      expect(new Set(bodies.map((b) => b.epochId)).size).toBe(3);
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});
