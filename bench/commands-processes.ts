import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process of the benchmark, and how to stop it. */
export type Child = { readonly process: ChildProcess; stop(): Promise<void> };

/**
 * Spawns `command`, resolves once a stdout line matches `ready` (with the
 * match), rejects if the process exits first or `timeoutMs` passes.
 */
export function spawnUntil(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<{ child: Child; match: RegExpMatchArray }> {
  const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = {
    process: proc,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(' ')}: not ready in ${timeoutMs} ms`)), timeoutMs);
    proc.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)));
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      const match = line.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
  });
}
