import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DataDirInUse, freePort, startRedis, type EmbeddedRedis, type ServerUp } from '../../src/embedded/index.js';
import { identityOf, processStartedAt, stillRunning } from '../../src/embedded/process-identity.js';

// Issue 11, part 3: child servers never outlive Ledger, never share a data
// directory, and come back by themselves. Real redis-server processes.

let dir: string;
let redis: EmbeddedRedis | undefined;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'ledger-supervised-')); });
afterEach(async () => {
  await redis?.stop();
  redis = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Running and not a zombie: an exited child may wait a moment for its reaper. */
const alive = (pid: number): boolean => processStartedAt(pid) !== undefined;
/** Polls until `check` holds or `ms` pass; returns whether it held (a bound on waiting, not a timing assertion). */
async function eventually(check: () => boolean, ms = 15_000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) if (check()) return true;
  return check();
}
/** A redis-server started outside any supervisor, as a dead Ledger would leave it. */
function strayRedis(dataDir: string, port: number): number {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', ''], { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid === undefined) throw new Error('redis-server did not start');
  return child.pid;
}
async function ping(url: string): Promise<string> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.set('k', 'v');
    return await client.get('k') ?? '';
  } finally {
    client.disconnect();
  }
}

describe('a supervised child server', () => {
  test('dies with the process that started it, even when that one is SIGKILLed', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', 'test/embedded/hold-redis.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: holder.stdout }), 'line')) as [string];
    const { pid } = JSON.parse(line) as { pid: number };
    expect(alive(pid)).toBe(true);

    holder.kill('SIGKILL');

    const gone = await eventually(() => !alive(pid));
    if (!gone) process.kill(-pid, 'SIGKILL');
    expect(gone).toBe(true);
  });

  test('a leftover server on its data directory, whose Ledger is gone, is stopped before the new one starts', async () => {
    const stray = strayRedis(dir, await freePort());
    const server = identityOf(stray);
    expect(server).toBeDefined();
    // The pid file a Ledger wrote before it died: its owner no longer runs.
    writeFileSync(join(dir, 'redis.pid'), JSON.stringify({ server, owner: { pid: 2 ** 22 - 1, startedAt: '0' }, command: 'redis-server' }));

    redis = await startRedis({ dataDir: dir });

    expect(alive(stray)).toBe(false);
    expect(await ping(redis.url)).toBe('v');
  });

  test('a server whose Ledger still runs is left alone and the start fails with DataDirInUse', async () => {
    const stray = strayRedis(dir, await freePort());
    const server = identityOf(stray);
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'redis.pid'), JSON.stringify({ server, owner: identityOf(owner.pid ?? 0), command: 'redis-server' }));

      await expect(startRedis({ dataDir: dir })).rejects.toBeInstanceOf(DataDirInUse);

      expect(server !== undefined && stillRunning(server)).toBe(true);
    } finally {
      owner.kill('SIGKILL');
      process.kill(-stray, 'SIGKILL');
    }
  });

  test('killed, it is restarted on the same port and usable again; listeners hear down then up', async () => {
    redis = await startRedis({ dataDir: dir, restart: { initialDelayMs: 50, maxDelayMs: 1_000, stableAfterMs: 30_000 } });
    const firstPid = redis.process.pid;
    const url = redis.url;
    const heard: string[] = [];
    redis.on('down', () => heard.push('down'));
    const up = once(redis, 'up') as Promise<[ServerUp]>;

    redis.process.kill('SIGKILL');
    const [back] = await up;

    expect(heard).toEqual(['down']);
    expect(back).toMatchObject({ name: 'redis', url, portChanged: false, restarts: 1 });
    expect(redis.process.pid).not.toBe(firstPid);
    expect(redis.up).toBe(true);
    expect(await ping(redis.url)).toBe('v');
  });

  test('if its port was taken while it was down, it comes back on another one and says so', async () => {
    redis = await startRedis({ dataDir: dir, restart: { initialDelayMs: 300, maxDelayMs: 1_000, stableAfterMs: 30_000 } });
    const oldPort = redis.port;
    const down = once(redis, 'down');
    const up = once(redis, 'up') as Promise<[ServerUp]>;
    redis.process.kill('SIGKILL');
    await down;
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(oldPort, '127.0.0.1', () => resolve()));
    try {
      const [back] = await up;

      expect(back.portChanged).toBe(true);
      expect(back.port).not.toBe(oldPort);
      expect(redis.url).toBe(back.url);
      expect(await ping(back.url)).toBe('v');
    } finally {
      squatter.close();
    }
  });

  test('between its death and the restart it reports itself down, so health checks can say so', async () => {
    redis = await startRedis({ dataDir: dir, restart: { initialDelayMs: 60_000, maxDelayMs: 60_000, stableAfterMs: 30_000 } });
    const down = once(redis, 'down');

    redis.process.kill('SIGKILL');
    await down;

    expect(redis.up).toBe(false);
  });

  test('stop() ends supervision: the server is not restarted and its pid file is gone', async () => {
    redis = await startRedis({ dataDir: dir });
    const pid = redis.process.pid ?? 0;
    let restarted = false;
    redis.on('up', () => { restarted = true; });

    await redis.stop();

    expect(alive(pid)).toBe(false);
    await sleep(500); // a wrong restart would come within this (the default back-off starts at 200 ms)
    expect(restarted).toBe(false);
    expect(() => rmSync(join(dir, 'redis.pid'))).toThrow();
  });
});
