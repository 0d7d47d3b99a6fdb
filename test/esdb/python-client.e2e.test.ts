import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ChildServer } from './child-server.js';

// The Python `kurrentdbclient` (PyPI, issue 16), a client written by other
// people in another language, against `ledger-esdb --memory` on a free port:
// appending, reading, catch-up and persistent subscriptions
// (python/kurrentdb_client_check.py). It runs in its own virtualenv, which
// deploy/dev/setup.sh makes; without it this file fails, it does not skip.

const run = promisify(execFile);
const PYTHON = fileURLToPath(new URL('./python/.venv/bin/python', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./python/kurrentdb_client_check.py', import.meta.url));

interface Report {
  client: string;
  mismatches: string[];
  append?: { first_commit_position: number; second_commit_position: number; stale_version: string; current_version: number };
  read?: { forwards: number[]; positions: number[]; backwards: number[]; from_position_2: number[]; missing_stream: string; in_all: number[] };
  subscribe?: { stream_history: number[]; stream_live: number[]; all_history: number[]; all_live: number[] };
  persistent?: { deliveries: [number, number | null][]; parked: number; groups: string[]; all_deliveries: number[] };
}

let server: ChildServer | undefined;
let outcome: { exitCode: number; report: Report; stderr: string } | undefined;
// A failed set-up (no virtualenv, no server) fails each test below with its message.
let setupError: unknown;

beforeAll(async () => {
  try {
    server = await spawnServer(['--memory']);
    let stdout: string;
    let stderr: string;
    let exitCode = 0;
    try {
      ({ stdout, stderr } = await run(PYTHON, [SCRIPT, server.connectionString], { timeout: 90_000, maxBuffer: 1 << 20 }));
    } catch (err) {
      const e = err as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err; // not started (ENOENT: run deploy/dev/setup.sh) or killed by the timeout
      exitCode = e.code;
      stdout = e.stdout ?? '';
      stderr = e.stderr ?? '';
      if (!stdout.trim().startsWith('{')) throw new Error(`the Python client exited ${exitCode} without a report: ${stderr}`);
    }
    outcome = { exitCode, report: JSON.parse(stdout) as Report, stderr };
  } catch (err) {
    setupError = err;
  }
}, 120_000);

afterAll(async () => {
  if (server === undefined) return;
  server.process.kill('SIGTERM');
  await server.exited;
});

const report = (): Report => {
  if (setupError !== undefined) throw setupError;
  if (outcome === undefined) throw new Error('the Python client did not run');
  return outcome.report;
};

describe('the Python kurrentdbclient against ledger-esdb', () => {
  it('finds no mismatch itself and exits 0', () => {
    expect(report().mismatches).toEqual([]);
    expect(outcome?.exitCode).toBe(0);
  });

  it('appends with expected versions and is refused at a stale one', () => {
    const append = report().append;
    expect(append?.stale_version).toBe('WrongCurrentVersionError');
    expect(append?.current_version).toBe(3);
    expect(append?.second_commit_position).toBeGreaterThan(append?.first_commit_position ?? Infinity);
  });

  it('reads the stream both ways, from a position, and through a filtered $all', () => {
    expect(report().read).toEqual({
      forwards: [1, 2, 3, 4],
      positions: [0, 1, 2, 3],
      backwards: [4, 3],
      from_position_2: [3, 4],
      missing_stream: 'NotFoundError',
      in_all: [1, 2, 3, 4],
    });
  });

  it('catches up and follows live on the stream and on $all', () => {
    expect(report().subscribe).toEqual({ stream_history: [1, 2, 3, 4], stream_live: [5], all_history: [1, 2, 3, 4], all_live: [5] });
  });

  it('delivers to a persistent subscription: a retried nack comes back counted, a parked one is parked', () => {
    expect(report().persistent).toEqual({
      deliveries: [[1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [2, 1], [6, 0]],
      parked: 1,
      groups: ['py-group'],
      all_deliveries: [1, 2, 3, 4, 5, 6],
    });
  });
});
