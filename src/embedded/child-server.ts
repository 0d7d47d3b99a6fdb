import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { withParentDeathSignal } from './parent-death.js';

/** A server process we started and own: stop() ends it and waits for its exit. */
export interface ChildServer {
  readonly port: number;
  readonly process: ChildProcess;
  /**
   * Sends `signal` (SIGTERM by default) to the server's process group and
   * waits for the exit; SIGKILL follows if it has not exited within the
   * bound given at spawn (5 s by default).
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export type SpawnOptions = {
  /** How long stop() waits after its signal before SIGKILL. */
  readonly killAfterMs?: number;
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });

/** Signals the child's whole process group (it leads one: spawned detached). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try { process.kill(-child.pid, signal); }
  catch { child.kill(signal); }
}

/**
 * Spawns `command` and resolves once it accepts TCP connections on `port`.
 *
 * The child runs in its own process group (detached), so a Ctrl-C in the
 * terminal reaches only Ledger, which stops its children in order; before,
 * redis-server got the SIGINT too and left first (issue 11). It carries a
 * parent-death signal (parent-death.ts), so it does not outlive a SIGKILLed
 * Ledger. Its output is not Ledger's log: stdout is dropped, and the last
 * 4 kB of stderr go into error messages only.
 */
export async function spawnListening(
  command: string,
  args: string[],
  port: number,
  timeoutMs = 30_000,
  opts: SpawnOptions = {},
): Promise<ChildServer> {
  const line = withParentDeathSignal(command, args);
  const child = spawn(line.command, line.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
  let spawnError: Error | undefined;
  child.once('error', (err) => { spawnError = err; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null && spawnError === undefined;
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (!running()) throw new Error(`${command} exited before listening on ${port}: ${spawnError?.message ?? stderr}`);
    if (Date.now() > deadline) {
      signalGroup(child, 'SIGKILL');
      throw new Error(`${command} did not listen on ${port} within ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(50);
  }
  const killAfterMs = opts.killAfterMs ?? 5_000;
  return {
    port,
    process: child,
    stop: async (signal = 'SIGTERM') => {
      if (!running()) return;
      signalGroup(child, signal);
      const gone = await Promise.race([exited.then(() => true), sleep(killAfterMs).then(() => false)]);
      if (!gone) {
        signalGroup(child, 'SIGKILL');
        await exited;
      }
    },
  };
}
