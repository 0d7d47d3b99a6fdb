import { existsSync } from 'node:fs';

/** Where Debian's util-linux puts setpriv (package util-linux, always installed). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'];

/**
 * The command line that runs `command` with a parent-death signal: when the
 * process that spawned it dies (SIGKILL included), the kernel sends the
 * child SIGKILL (PR_SET_PDEATHSIG). setpriv sets it and then execs `command`,
 * so the pid stays the server's and the setting survives the exec.
 *
 * The kernel ties the signal to the spawning *thread*: Node spawns from its
 * main thread, so the signal comes when the process ends. `command` must
 * not fork and exit (a launcher script must `exec` the server).
 *
 * Without setpriv (not Linux) the command runs as is; the pid file in the
 * data directory (pid-file.ts) then stops a leftover at the next start.
 */
export function withParentDeathSignal(command: string, args: readonly string[]): { command: string; args: string[]; guarded: boolean } {
  const setpriv = process.platform === 'linux' ? SETPRIV.find((p) => existsSync(p)) : undefined;
  if (setpriv === undefined) return { command, args: [...args], guarded: false };
  return { command: setpriv, args: ['--pdeathsig', 'SIGKILL', '--', command, ...args], guarded: true };
}
