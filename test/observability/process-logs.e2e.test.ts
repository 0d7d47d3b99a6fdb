import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../src/embedded/free-port.js';
import { startEsdbServer, type EsdbServer } from '../../src/esdb-server/index.js';

// Issue 12: a process says when it has started and when it has stopped, each
// line as JSON naming its service; SIGTERM used to end the api with no
// "stopped" line.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let esdb: EsdbServer;
beforeAll(async () => { esdb = await startEsdbServer({ port: 0, memory: true }); });
afterAll(async () => esdb?.stop());

test('the api process logs started, stopping and stopped around a SIGTERM, every line JSON with service api', async () => {
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/api.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, ESDB_URL: esdb.connectionString, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(grpcPort),
      METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info',
    },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 600 && !out.includes('"msg":"api started"'); i++) await sleep(100);
  expect(out).toContain('"msg":"api started"');
  child.kill('SIGTERM');
  const code = await exited;
  expect({ code, out }).toMatchObject({ code: 0 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['gRPC API listening', 'api started', 'api stopping', 'api stopped']));
  for (const line of lines) expect(line).toMatchObject({ service: 'api', level: expect.any(String), time: expect.any(String) });
  expect(lines.at(-1)?.msg).toBe('api stopped');
});

test('a start that fails is one JSON line on stderr naming the error, no stack dump, exit 1', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  delete env.ESDB_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/api.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env });
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code).toBe(1);
  const lines = err.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '')).toMatchObject({
    level: 'fatal', service: 'api', msg: 'api start failed',
    err: { type: 'Error', message: 'the standalone API needs ESDB_URL (npm start runs it with an embedded store)' },
  });
});
