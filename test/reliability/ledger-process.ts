import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/embedded/free-port.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });

/**
 * One Ledger worker (`tsx workers/<name>.ts`) as a child process on fixed
 * loopback ports, so it can be killed and started again at the same address.
 */
export interface LedgerProcess {
  readonly name: string;
  /** 127.0.0.1:<GRPC_PORT> (meaningful for the api). */
  readonly address: string;
  /** 127.0.0.1:<ADMIN_PORT> (meaningful for jobs). */
  readonly adminAddress: string;
  readonly metricsPort: number;
  /** Starts the process (again) and waits until `readyPort` accepts connections. */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** True while the current child has not exited. */
  running(): boolean;
  /** The last lines the process wrote to stderr (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

export async function ledgerProcess(name: 'api' | 'projector' | 'jobs' | 'transfer-process', env: Record<string, string>): Promise<LedgerProcess> {
  const [grpcPort, metricsPort, adminPort] = [await freePort(), await freePort(), await freePort()];
  const readyPort = name === 'api' ? grpcPort : metricsPort;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let alive = false;
  let errors = '';

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (child === undefined || !alive) return;
    child.kill(signal);
    const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!gone) { child.kill('SIGKILL'); await exited; }
  };

  const start = async (): Promise<void> => {
    // node itself with tsx as a loader, not the tsx CLI: the CLI runs node as
    // a grandchild, and a SIGKILL to the CLI would leave that one serving.
    const proc = spawn(process.execPath, ['--import', 'tsx', `workers/${name}.ts`], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(grpcPort),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(metricsPort),
        ADMIN_HOST: '127.0.0.1',
        ADMIN_PORT: String(adminPort),
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    child = proc;
    alive = true;
    exited = new Promise<void>((resolve) => proc.once('exit', () => { alive = false; resolve(); }));
    proc.stderr?.on('data', (b: Buffer) => { errors = (errors + b.toString()).slice(-4000); });
    const deadline = Date.now() + 90_000;
    while (!(await portOpen(readyPort))) {
      if (!alive || Date.now() > deadline) {
        await kill('SIGKILL');
        throw new Error(`workers/${name}.ts ${alive ? 'did not listen' : 'exited'} before serving on ${readyPort}: ${errors}`);
      }
      await sleep(100);
    }
  };

  return {
    name,
    address: `127.0.0.1:${grpcPort}`,
    adminAddress: `127.0.0.1:${adminPort}`,
    metricsPort,
    start,
    kill,
    running: () => alive,
    stderr: () => errors,
    stop: () => kill('SIGTERM'),
  };
}
