import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { identityOf, stillRunning, type ProcessIdentity } from './process-identity.js';

/**
 * Thrown when a server's data directory belongs to a server whose Ledger
 * still runs: starting a second server there would corrupt it, and stopping
 * the first would pull it from under that Ledger. Stop that Ledger, or give
 * this one another DATA_DIR.
 */
export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
  constructor(readonly dataDir: string, readonly server: ProcessIdentity, readonly owner: ProcessIdentity) {
    super(`${dataDir} is in use by server pid ${server.pid}, started by process ${owner.pid}, which still runs`);
  }
}

const identity = z.object({ pid: z.number().int().positive(), startedAt: z.string() });
const pidFileSchema = z.object({ server: identity, owner: identity, command: z.string() });
type PidFile = z.infer<typeof pidFileSchema>;

/** How long a leftover gets after SIGTERM before SIGKILL, and after SIGKILL before we give up. */
const LEFTOVER_GRACE_MS = 5_000;

/**
 * `<dataDir>/<name>.pid`: which server runs on a data directory and which
 * process started it. Written after each spawn, removed on stop; a file left
 * behind means the last Ledger died without stopping its server.
 */
export class ServerPidFile {
  readonly path: string;

  constructor(readonly dataDir: string, name: string) {
    this.path = join(dataDir, `${name}.pid`);
  }

  /**
   * Before a start: if a server from an earlier Ledger still runs on this
   * data directory, stop it (SIGTERM, then SIGKILL), so there are never two
   * servers on one directory. Its pid file records its start time, so a
   * recycled pid is never signalled.
   */
  async stopLeftover(): Promise<ProcessIdentity | undefined> {
    const recorded = this.read();
    if (recorded === undefined || !stillRunning(recorded.server)) return undefined;
    const ownerIsUs = recorded.owner.pid === process.pid;
    if (!ownerIsUs && stillRunning(recorded.owner)) throw new DataDirInUse(this.dataDir, recorded.server, recorded.owner);
    const { pid } = recorded.server;
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      // The server leads its own process group (it was spawned detached).
      try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch { /* gone meanwhile */ } }
      for (const until = Date.now() + LEFTOVER_GRACE_MS; Date.now() < until; await sleep(50)) {
        if (!stillRunning(recorded.server)) return recorded.server;
      }
    }
    throw new Error(`leftover ${recorded.command} (pid ${pid}) on ${this.dataDir} survived SIGKILL`);
  }

  record(serverPid: number, command: string): void {
    const server = identityOf(serverPid);
    const owner = identityOf(process.pid);
    if (server === undefined || owner === undefined) return;
    const file: PidFile = { server, owner, command };
    writeFileSync(this.path, `${JSON.stringify(file)}\n`);
  }

  /** Removes the file if it still names `serverPid` (a newer server may have replaced it). */
  clear(serverPid: number): void {
    if (this.read()?.server.pid === serverPid) rmSync(this.path, { force: true });
  }

  private read(): PidFile | undefined {
    try {
      return pidFileSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch {
      return undefined;
    }
  }
}
