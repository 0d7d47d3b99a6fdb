import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/embedded/free-port.js';
import { processStartedAt } from '../../src/embedded/process-identity.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm start` as a user runs it in a terminal: its own process group (so a
 * signal to the group is what Ctrl-C sends), every listener on a free
 * loopback port, its data under `dataDir`.
 */
export interface NpmStart {
  readonly npm: ChildProcess;
  readonly address: string;
  /** 127.0.0.1:<ADMIN_PORT>. */
  readonly adminAddress: string;
  /** Every line npm start wrote, stdout and stderr, in order of arrival. */
  readonly lines: string[];
  /** The Ledger process's pid (from its 'ledger started' log line). */
  readonly ledgerPid: number;
  readonly exited: Promise<void>;
}

export async function npmStart(dataDir: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<NpmStart> {
  const [grpcPort, metricsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort),
      METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort),
      ADMIN_HOST: '127.0.0.1', ADMIN_PORT: String(adminPort),
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  const lines: string[] = [];
  let ledgerPid: number | undefined;
  for (const stream of [npm.stdout, npm.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (line.includes('"ledger started"')) ledgerPid = (JSON.parse(line) as { pid: number }).pid;
    });
  }
  const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => { gone = true; });
  for (const until = Date.now() + timeoutMs; ledgerPid === undefined; await sleep(100)) {
    if (gone || Date.now() > until) {
      if (!gone) process.kill(-(npm.pid ?? 0), 'SIGKILL');
      throw new Error(`npm start did not start: ${lines.slice(-20).join('\n')}`);
    }
  }
  return { npm, address: `127.0.0.1:${grpcPort}`, adminAddress: `127.0.0.1:${adminPort}`, lines, ledgerPid, exited };
}

/** The child servers Ledger recorded under `dataDir`, by dependency name ('redis', 'mongo'): their pid files (server-pid-file.ts). */
export function childServers(dataDir: string): Map<string, number> {
  const pids = new Map<string, number>();
  for (const entry of readdirSync(dataDir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.pid')) continue;
    const file = JSON.parse(readFileSync(join(dataDir, entry), 'utf8')) as { server: { pid: number } };
    pids.set(basename(entry, '.pid'), file.server.pid);
  }
  return pids;
}

export const childServerPids = (dataDir: string): number[] => [...childServers(dataDir).values()];

/** The first JSON log line with this `msg`, parsed. */
export function logged(lines: readonly string[], msg: string): Record<string, unknown> | undefined {
  const line = lines.find((l) => l.includes(`"msg":${JSON.stringify(msg)}`));
  return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
}

/** Running and not a zombie. */
export const running = (pid: number): boolean => processStartedAt(pid) !== undefined;

/** npm's own banner ("> ledger@0.1.0 start", "> node ..."): not Ledger's output. */
export const isNpmBanner = (line: string): boolean => line.startsWith('> ') || line.trim() === '';

export const isJson = (line: string): boolean => {
  try { JSON.parse(line); return true; } catch { return false; }
};
