import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { spawnListening, type ChildServer } from './child-server.js';
import { freePort, portFree } from './free-port.js';
import { ServerPidFile } from './server-pid-file.js';

/** How a supervised server comes back after dying: exponential back-off, reset once it has stayed up. */
export type RestartPolicy = {
  /** Wait before the first restart. */
  readonly initialDelayMs: number;
  /** The back-off doubles up to this. */
  readonly maxDelayMs: number;
  /** A server up this long counts as healthy again: the next death restarts after initialDelayMs. */
  readonly stableAfterMs: number;
};

export const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 200, maxDelayMs: 10_000, stableAfterMs: 30_000 };

export type ServerSpec = {
  /** The dependency's name ('redis', 'mongo'): in logs, events and UNAVAILABLE details. */
  readonly name: string;
  readonly command: string;
  /** The command's arguments for a port (a restart may have to take another one). */
  readonly args: (port: number) => string[];
  /** The URL clients connect to on a port. */
  readonly url: (port: number) => string;
  /** The server's data; its pid file lives here (server-pid-file.ts). */
  readonly dataDir: string;
  /** The data directory is a throwaway (tests): removed after stop(). */
  readonly removeDataDirOnStop?: boolean;
  /** Default: a free one. Restarts keep it while it is free. */
  readonly port?: number;
  readonly startTimeoutMs?: number;
  /** stop() sends SIGTERM, then SIGKILL after this. Default 5 s. */
  readonly killAfterMs?: number;
  /** false: a death is reported (down) and nothing more. Default DEFAULT_RESTART. */
  readonly restart?: RestartPolicy | false;
  /** Where the supervisor says what happened (JSON, like the rest of Ledger). */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
};

/** What startRedis, startFerretDb and the like take. */
export type EmbeddedServerOptions = {
  /** Default: a fresh temporary directory, removed on stop. */
  readonly dataDir?: string;
  readonly port?: number;
} & Partial<Pick<ServerSpec, 'restart' | 'logger' | 'killAfterMs'>>;

export type ServerDown = { readonly name: string; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly restartInMs: number | undefined };
export type ServerUp = { readonly name: string; readonly port: number; readonly url: string; readonly restarts: number; readonly portChanged: boolean };
export type RestartFailed = { readonly name: string; readonly attempt: number; readonly error: Error; readonly retryInMs: number };

/** What a SupervisedServer tells its listeners. `up` fires for restarts, not the first start. */
export type ServerEvents = {
  down: [ServerDown];
  up: [ServerUp];
  restartFailed: [RestartFailed];
};

/**
 * A child server that Ledger keeps running: started in its own process
 * group with a parent-death signal (child-server.ts), after stopping any
 * leftover on its data directory, and restarted with back-off when it dies
 * until stop(). Listeners hear `down` and `up` (with the URL, which changes
 * only when the old port was taken meanwhile), so callers can mark the
 * dependency unavailable and catch up afterwards.
 */
export class SupervisedServer extends EventEmitter<ServerEvents> implements ChildServer {
  private current: ChildServer;
  private stopping = false;
  private restarts = 0;
  private failedAttempts = 0;
  private upSince = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;

  private constructor(private readonly spec: ServerSpec, private readonly pidFile: ServerPidFile, first: ChildServer) {
    super();
    this.current = first;
    this.watch(first);
  }

  static async start(spec: ServerSpec): Promise<SupervisedServer> {
    mkdirSync(spec.dataDir, { recursive: true });
    const pidFile = new ServerPidFile(spec.dataDir, spec.name);
    const leftover = await pidFile.stopLeftover();
    if (leftover !== undefined) spec.logger?.warn({ dependency: spec.name, pid: leftover.pid, dataDir: spec.dataDir }, 'stopped a leftover server on the data directory');
    const first = await launch(spec, pidFile, spec.port ?? (await freePort()));
    return new SupervisedServer(spec, pidFile, first);
  }

  get name(): string { return this.spec.name; }
  get port(): number { return this.current.port; }
  get url(): string { return this.spec.url(this.current.port); }
  get process(): ChildProcess { return this.current.process; }
  /** False from a death until the restart listens. */
  get up(): boolean { return this.current.process.exitCode === null && this.current.process.signalCode === null; }

  /** Ends supervision and the server (SIGTERM, SIGKILL after the bound); a restart in progress is waited for, then stopped. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.restarting;
    await this.current.stop(signal);
    if (this.current.process.pid !== undefined) this.pidFile.clear(this.current.process.pid);
    if (this.spec.removeDataDirOnStop === true) rmSync(this.spec.dataDir, { recursive: true, force: true });
  }

  private watch(server: ChildServer): void {
    server.process.once('exit', (code, signal) => {
      if (this.stopping || server !== this.current) return;
      const policy = this.spec.restart ?? DEFAULT_RESTART;
      if (policy !== false && Date.now() - this.upSince >= policy.stableAfterMs) this.failedAttempts = 0;
      const restartInMs = policy === false ? undefined : this.delay(policy);
      this.failedAttempts += 1;
      this.spec.logger?.error({ dependency: this.spec.name, code, signal, restartInMs }, 'child server died');
      this.emit('down', { name: this.spec.name, code, signal, restartInMs });
      if (restartInMs !== undefined) this.schedule(restartInMs);
    });
  }

  private delay(policy: RestartPolicy): number {
    return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** this.failedAttempts);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => { this.restarting = this.restart().finally(() => { this.restarting = undefined; }); }, ms);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    const oldPort = this.current.port;
    try {
      const port = (await portFree(oldPort)) ? oldPort : await freePort();
      await this.pidFile.stopLeftover();
      const server = await launch(this.spec, this.pidFile, port);
      this.current = server;
      this.upSince = Date.now();
      this.restarts += 1;
      this.watch(server);
      if (this.stopping) return;
      const up: ServerUp = { name: this.spec.name, port, url: this.spec.url(port), restarts: this.restarts, portChanged: port !== oldPort };
      const fields = { dependency: up.name, port, url: up.url, restarts: up.restarts, portChanged: up.portChanged };
      // Clients holding the old URL keep knocking on the old port: callers must act on portChanged.
      if (up.portChanged) this.spec.logger?.warn(fields, 'child server restarted on another port');
      else this.spec.logger?.info(fields, 'child server restarted');
      this.emit('up', up);
    } catch (err) {
      if (this.stopping) return;
      const retryInMs = this.delay(this.spec.restart || DEFAULT_RESTART);
      this.failedAttempts += 1;
      const error = err instanceof Error ? err : new Error(String(err));
      this.spec.logger?.warn({ dependency: this.spec.name, attempt: this.failedAttempts, err: error.message, retryInMs }, 'child server restart failed');
      this.emit('restartFailed', { name: this.spec.name, attempt: this.failedAttempts, error, retryInMs });
      this.schedule(retryInMs);
    }
  }
}

async function launch(spec: ServerSpec, pidFile: ServerPidFile, port: number): Promise<ChildServer> {
  const server = await spawnListening(spec.command, spec.args(port), port, spec.startTimeoutMs, spec.killAfterMs === undefined ? {} : { killAfterMs: spec.killAfterMs });
  if (server.process.pid !== undefined) pidFile.record(server.process.pid, spec.command);
  return server;
}
