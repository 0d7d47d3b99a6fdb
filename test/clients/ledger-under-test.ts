import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/embedded/free-port.js';
import { startEsdbServer } from '../../src/esdb-server/index.js';
import { startMongoJavaServer } from '../../src/embedded/index.js';

/** The service the clients talk to: the embedded event store and the API's standalone entry. */
export interface RunningLedger {
  /** host:port of the public gRPC API. */
  readonly address: string;
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });

/**
 * Starts the embedded EventStoreDB-compatible server in this process (in
 * memory), an embedded Mongo-wire server, and as child processes
 * `tsx workers/api.ts` (with the read model), `tsx workers/projector.ts` and
 * `tsx workers/transfer-process.ts` (issue 15: the clients list
 * transactions, reverse one and make a transfer), on free loopback ports;
 * resolves once the API accepts connections.
 */
export async function startLedger(timeoutMs = 60_000, env: Record<string, string> = {}): Promise<RunningLedger> {
  const esdb = await startEsdbServer({ port: 0, memory: true });
  const mongo = await startMongoJavaServer();
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const mongoDb = 'ledger_clients';
  const worker = async (script: string, extra: Record<string, string>) =>
    spawn(join(ROOT, 'node_modules/.bin/tsx'), [script], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ESDB_URL: esdb.connectionString, METRICS_HOST: '127.0.0.1', METRICS_PORT: String(await freePort()), LOG_LEVEL: 'warn', ...extra },
    });
  const workers = [
    await worker('workers/projector.ts', { MONGO_URL: mongo.url, MONGO_DB: mongoDb }),
    await worker('workers/transfer-process.ts', {}),
  ];
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['workers/api.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      ESDB_URL: esdb.connectionString,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
      MONGO_URL: mongo.url,
      MONGO_DB: mongoDb,
      ...env,
    },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => { hasExited = true; });

  const stop = async (): Promise<void> => {
    if (!hasExited) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!killed) { child.kill('SIGKILL'); await exited; }
    }
    for (const w of workers) {
      if (w.exitCode !== null || w.signalCode !== null) continue;
      const gone = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.kill('SIGTERM');
      if (!(await Promise.race([gone.then(() => true), sleep(15_000).then(() => false)]))) { w.kill('SIGKILL'); await gone; }
    }
    await mongo.stop();
    await esdb.stop();
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(grpcPort))) {
    if (hasExited || Date.now() > deadline) {
      await stop();
      throw new Error(`workers/api.ts ${hasExited ? 'exited' : 'did not listen'} before serving on ${grpcPort}: ${stderr}`);
    }
    await sleep(100);
  }
  return { address: `127.0.0.1:${grpcPort}`, stop };
}
