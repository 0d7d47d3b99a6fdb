import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A process as a pid file records it: the pid plus when it started, so a
 * pid the kernel has since handed to another process is not mistaken for it.
 */
export type ProcessIdentity = { readonly pid: number; readonly startedAt: string };

/**
 * When `pid` started, in the kernel's terms (Linux: clock ticks since boot,
 * field 22 of /proc/<pid>/stat; elsewhere `ps -o lstart`), or undefined if
 * no such process runs.
 */
export function processStartedAt(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = fields[0];
      // A zombie has exited already; only its parent's wait is missing.
      return state === 'Z' || state === 'X' ? undefined : fields[19];
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-p', String(pid), '-o', 'lstart='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

export const identityOf = (pid: number): ProcessIdentity | undefined => {
  const startedAt = processStartedAt(pid);
  return startedAt === undefined ? undefined : { pid, startedAt };
};

/** True while the very process `id` names still runs. */
export const stillRunning = (id: ProcessIdentity): boolean => processStartedAt(id.pid) === id.startedAt;
