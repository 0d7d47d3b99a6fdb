import { existsSync } from 'node:fs';
import { startMongoJavaServer, startRedis } from '../../src/embedded/index.js';
import { startEsdbServer } from '../../src/esdb-server/index.js';

/**
 * The servers a suite runs against, chosen per backend:
 * 1. its *_URL variable when set (a real server the user runs);
 * 2. else, with LEDGER_TESTCONTAINERS=1 and a Docker daemon, a real
 *    EventStoreDB / MongoDB / Redis container (testcontainers, opt-in:
 *    not a dependency of this repository, `npm i -D testcontainers`);
 * 3. else the embedded servers (this machine's default; Mongo: mongo-java-server).
 * The same suites run on any of them; `sources` says which one was used.
 */
export type Backend = 'esdb' | 'mongo' | 'redis';
export type BackendSource = 'url' | 'testcontainers' | 'embedded';

export interface TestBackends {
  readonly urls: Readonly<Partial<Record<Backend, string>>>;
  readonly sources: Readonly<Partial<Record<Backend, BackendSource>>>;
  stop(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;
interface Started { url: string; stop(): Promise<void> }

const URL_VARS: Record<Backend, string> = { esdb: 'ESDB_URL', mongo: 'MONGO_URL', redis: 'REDIS_URL' };

export async function startTestBackends(need: readonly Backend[], env: Env = process.env): Promise<TestBackends> {
  const urls: Partial<Record<Backend, string>> = {};
  const sources: Partial<Record<Backend, BackendSource>> = {};
  const started: Started[] = [];
  const anyUrlSet = Object.values(URL_VARS).some((v) => env[v] !== undefined && env[v] !== '');
  const containers = env.LEDGER_TESTCONTAINERS === '1' && !anyUrlSet ? await loadTestcontainers(env) : undefined;
  try {
    for (const backend of need) {
      const given = env[URL_VARS[backend]];
      if (given !== undefined && given !== '') {
        urls[backend] = given;
        sources[backend] = 'url';
        continue;
      }
      const server = containers !== undefined ? await startContainer(containers, backend) : await startEmbedded(backend);
      started.push(server);
      urls[backend] = server.url;
      sources[backend] = containers !== undefined ? 'testcontainers' : 'embedded';
    }
  } catch (e) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw e;
  }
  return { urls, sources, stop: async () => { await Promise.allSettled(started.map((s) => s.stop())); } };
}

async function startEmbedded(backend: Backend): Promise<Started> {
  switch (backend) {
    case 'esdb': {
      const s = await startEsdbServer({ port: 0, memory: true });
      return { url: s.connectionString, stop: () => s.stop() };
    }
    case 'mongo': {
      const s = await startMongoJavaServer();
      return { url: s.url, stop: () => s.stop() };
    }
    case 'redis': {
      const s = await startRedis();
      return { url: s.url, stop: () => s.stop() };
    }
  }
}

// The slice of the testcontainers API used here, typed by us because the
// package is optional and absent from this repository's dependencies.
interface StartedContainer {
  getHost(): string;
  getMappedPort(port: number): number;
  exec(cmd: string[]): Promise<{ exitCode: number; output: string }>;
  stop(): Promise<unknown>;
}
interface ContainerBuilder {
  withEnvironment(env: Record<string, string>): ContainerBuilder;
  withExposedPorts(...ports: number[]): ContainerBuilder;
  withCommand(cmd: string[]): ContainerBuilder;
  withWaitStrategy(wait: unknown): ContainerBuilder;
  start(): Promise<StartedContainer>;
}
interface Testcontainers {
  GenericContainer: new (image: string) => ContainerBuilder;
  Wait: { forHttp(path: string, port: number): unknown; forLogMessage(message: string | RegExp): unknown };
}

/** Explains, rather than half-working, when the opt-in cannot be honoured. */
async function loadTestcontainers(env: Env): Promise<Testcontainers> {
  const dockerReachable = env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock');
  if (!dockerReachable) {
    throw new Error('LEDGER_TESTCONTAINERS=1 but no Docker daemon is reachable (no DOCKER_HOST, no /var/run/docker.sock); unset it to use the embedded servers');
  }
  const specifier = 'testcontainers'; // a variable: tsc must not require the optional package
  try {
    return (await import(specifier)) as Testcontainers;
  } catch (e) {
    throw new Error(`LEDGER_TESTCONTAINERS=1 but the testcontainers package cannot be loaded (npm i -D testcontainers): ${String(e)}`);
  }
}

async function startContainer(tc: Testcontainers, backend: Backend): Promise<Started> {
  const { GenericContainer, Wait } = tc;
  switch (backend) {
    case 'esdb': {
      const c = await new GenericContainer('eventstore/eventstore:24.10')
        .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None', EVENTSTORE_MEM_DB: 'true' })
        .withExposedPorts(2113).withWaitStrategy(Wait.forHttp('/health/live', 2113)).start();
      return { url: `esdb://${c.getHost()}:${c.getMappedPort(2113)}?tls=false`, stop: async () => { await c.stop(); } };
    }
    case 'mongo': {
      const c = await new GenericContainer('mongo:7.0').withCommand(['--replSet', 'rs0', '--bind_ip_all'])
        .withExposedPorts(27017).withWaitStrategy(Wait.forLogMessage(/Waiting for connections/)).start();
      const init = await c.exec(['mongosh', '--quiet', '--eval', "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]}).ok"]);
      if (init.exitCode !== 0) throw new Error(`mongo replica set initiation failed: ${init.output}`);
      // directConnection: the member's name (localhost:27017) is not reachable through the mapped port.
      return { url: `mongodb://${c.getHost()}:${c.getMappedPort(27017)}/?directConnection=true`, stop: async () => { await c.stop(); } };
    }
    case 'redis': {
      const c = await new GenericContainer('redis:7.4-alpine').withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage('Ready to accept connections')).start();
      return { url: `redis://${c.getHost()}:${c.getMappedPort(6379)}`, stop: async () => { await c.stop(); } };
    }
  }
}
