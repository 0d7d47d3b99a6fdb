import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/ledger-esdb.js', import.meta.url));
const NULL_SERVER = fileURLToPath(new URL('./null-esdb-server.ts', import.meta.url));

export interface BenchServer {
  readonly connectionString: string;
  readonly child: ChildProcess;
  /** Milliseconds from spawn to the connection string on stdout. */
  readonly readyMs: number;
  rssMiB(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/**
 * The server under test runs in its own process, as a user would run it;
 * `null: true` starts the do-nothing server (null-esdb-server.ts) instead,
 * to measure the client's own ceiling.
 */
export const startBenchServer = async (args: readonly string[], opts: { null?: boolean } = {}): Promise<BenchServer> => {
  const t0 = performance.now();
  const argv = opts.null === true ? ['--import', 'tsx', NULL_SERVER, ...args] : [CLI, '--port', '0', ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const connectionString = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('esdb://'));
      if (line !== undefined) resolve(line.trim());
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const readyMs = performance.now() - t0;
  const stat = (): string[] => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return {
    connectionString,
    child,
    readyMs,
    rssMiB: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m?.[1] === undefined ? 0 : Number(m[1]) / 1024;
    },
    // utime + stime, fields 14 and 15 of /proc/pid/stat (here indices 11, 12 after the comm field).
    cpuSeconds: () => (Number(stat()[11]) + Number(stat()[12])) / 100,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
