import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema, loadConfig } from '../../src/config.js';

// Given the deployment files as written, then every name, port and variable
// agrees with src/config.ts, the image's entry point and the workers/ files.

const root = join(import.meta.dirname, '..', '..');
const k8sDir = join(root, 'deploy', 'k8s');
const knownVars = new Set(Object.keys(configSchema.shape));
const defaults = loadConfig({});

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown, what: string): Doc => {
  if (!isDoc(v)) throw new Error(`${what}: expected a mapping`);
  return v;
};
const list = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new Error(`${what}: expected a list`);
  return v;
};
const parseYaml = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(file, 'utf8'), { merge: true }).map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${file} document ${i}: ${d.errors[0]?.message}`);
    return obj(d.toJS({ maxAliasCount: 100 }), `${file} document ${i}`);
  });

const manifests = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml')).flatMap((f) => parseYaml(join(k8sDir, f)));
const byKind = (kind: string): Doc[] => manifests.filter((m) => m.kind === kind);
const named = (kind: string, name: string): Doc => {
  const found = byKind(kind).find((m) => obj(m.metadata, kind).name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name}`);
  return found;
};
const stringMap = (v: unknown, what: string): Record<string, string> => {
  const m = obj(v, what);
  for (const [k, val] of Object.entries(m)) if (typeof val !== 'string') throw new Error(`${what}.${k} is not a string`);
  return m as Record<string, string>;
};

const configMap = stringMap(named('ConfigMap', 'ledger-config').data, 'ConfigMap data');
const secret = stringMap(named('Secret', 'ledger-secrets').stringData, 'Secret stringData');
const k8sEnv = { ...configMap, ...secret };
const k8sConfig = loadConfig(k8sEnv);

// The process names the image accepts (deploy/run.mjs), read from the file itself.
const runScript = readFileSync(join(root, 'deploy', 'run.mjs'), 'utf8');
const processes = JSON.parse((/const PROCESSES = (\[[^\]]*\])/.exec(runScript)?.[1] ?? '[]').replaceAll("'", '"')) as string[];

describe('the image', () => {
  const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
  test('is multi-stage, runs as a numeric non-root user, and dispatches by argument', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const user = /^USER (\d+)(?::\d+)?$/m.exec(dockerfile)?.[1];
    expect(Number(user)).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^ENTRYPOINT \[.*"deploy\/run\.mjs"\]$/m);
    expect(processes).toEqual(['api', 'projector', 'jobs', 'transfer-process']);
  });

  test('exposes the default ports of the config', () => {
    const exposed = (/^EXPOSE (.+)$/m.exec(dockerfile)?.[1] ?? '').split(/\s+/).map(Number);
    expect(exposed).toEqual(expect.arrayContaining([defaults.GRPC_PORT, defaults.ADMIN_PORT, defaults.METRICS_PORT]));
  });

  test.each(['api', 'projector', 'jobs', 'transfer-process'])('process %s has its entry point in workers/', (name) => {
    expect(existsSync(join(root, 'workers', `${name}.ts`))).toBe(true);
  });
});

describe('Kubernetes manifests', () => {
  test('every ConfigMap and Secret key is a config variable, and together they validate', () => {
    const unknown = Object.keys(k8sEnv).filter((k) => !knownVars.has(k));
    expect(unknown).toEqual([]);
    expect(k8sConfig.ESDB_URL).toBeDefined();
    expect(k8sConfig.MONGO_URL).toContain('replicaSet=');
    expect(k8sConfig.REDIS_URL).toBeDefined();
  });

  test('the API authenticates its callers by default (issue 13)', () => {
    expect(k8sConfig.AUTH_MODE).not.toBe('none');
  });

  test.each(['api', 'projector', 'jobs', 'transfer-process'])('%s: Deployment, Service, probes, resources and ports agree', (name) => {
    const deployment = named('Deployment', `ledger-${name}`);
    const spec = obj(deployment.spec, 'spec');
    const podLabels = stringMap(obj(obj(obj(spec.template, 'template').metadata, 'metadata').labels, 'labels'), 'labels');
    expect(stringMap(obj(spec.selector, 'selector').matchLabels, 'matchLabels')).toEqual(podLabels);
    const podSpec = obj(obj(spec.template, 'template').spec, 'pod spec');
    expect(obj(podSpec.securityContext, 'securityContext').runAsNonRoot).toBe(true);
    const [container] = list(podSpec.containers, 'containers').map((c) => obj(c, 'container'));
    if (container === undefined) throw new Error('no container');

    expect(list(container.args, 'args')).toEqual([name]);
    expect(processes).toContain(name);
    const sources = list(container.envFrom, 'envFrom').map((e) => obj(e, 'envFrom'));
    expect(sources.map((s) => obj(s.configMapRef ?? s.secretRef, 'ref').name)).toEqual(['ledger-config', 'ledger-secrets']);
    for (const e of container.env === undefined ? [] : list(container.env, 'env')) {
      expect(knownVars).toContain(obj(e, 'env').name);
    }
    const requests = obj(obj(container.resources, 'resources').requests, 'requests');
    expect(requests.cpu).toBeDefined();
    expect(requests.memory).toBeDefined();

    const ports = new Map(list(container.ports, 'ports').map((p) => {
      const port = obj(p, 'port');
      return [String(port.name), Number(port.containerPort)] as const;
    }));
    expect(ports.get('metrics')).toBe(k8sConfig.METRICS_PORT);
    const readiness = obj(container.readinessProbe, 'readinessProbe');
    const liveness = obj(container.livenessProbe, 'livenessProbe');
    if (name === 'api') {
      expect(ports.get('grpc')).toBe(k8sConfig.GRPC_PORT);
      expect(obj(readiness.grpc, 'grpc probe').port).toBe(k8sConfig.GRPC_PORT);
      expect(obj(liveness.grpc, 'grpc probe').port).toBe(k8sConfig.GRPC_PORT);
    } else {
      expect(ports.has('grpc')).toBe(false);
      expect(obj(readiness.httpGet, 'httpGet').path).toBe('/healthz');
      expect(obj(liveness.httpGet, 'httpGet').path).toBe('/livez');
      expect(ports.has(String(obj(liveness.httpGet, 'httpGet').port))).toBe(true);
    }

    const service = named('Service', `ledger-${name}`);
    const svcSpec = obj(service.spec, 'service spec');
    expect(stringMap(svcSpec.selector, 'selector')).toEqual(podLabels);
    for (const p of list(svcSpec.ports, 'service ports')) {
      const sp = obj(p, 'service port');
      expect(ports.has(String(sp.targetPort))).toBe(true);
      expect(sp.port).toBe(ports.get(String(sp.targetPort)));
    }
  });

  test('kustomization lists every manifest file', () => {
    const kustomization = parseYaml(join(k8sDir, 'kustomization.yaml'))[0];
    const files = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...list(kustomization?.resources, 'resources')].sort()).toEqual(files.sort());
  });
});

describe('docker-compose.yml', () => {
  const [compose] = parseYaml(join(root, 'docker-compose.yml'));
  const services = obj(compose?.services, 'services');
  const service = (name: string): Doc => obj(services[name], `service ${name}`);
  const envOf = (name: string): Record<string, string> => stringMap(service(name).environment, `${name}.environment`);
  /** ${VAR:-default} is compose interpolation: the environment with each default filled in. */
  const resolvedEnvOf = (name: string): Record<string, string> =>
    Object.fromEntries(Object.entries(envOf(name)).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));

  test('has the backing servers: EventStoreDB insecure, Mongo as an initiated replica set, Redis', () => {
    expect(envOf('eventstore').EVENTSTORE_INSECURE).toBe('true');
    const mongo = service('mongo');
    expect(list(mongo.command, 'mongo.command')).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(JSON.stringify(obj(mongo.healthcheck, 'mongo.healthcheck').test)).toContain('rs.initiate');
    expect(service('redis').healthcheck).toBeDefined();
  });

  test.each(['api', 'projector', 'jobs', 'transfer-process'])('%s: built from deploy/Dockerfile, command, health check, known variables', (name) => {
    const s = service(name);
    expect(obj(s.build, 'build').dockerfile).toBe('deploy/Dockerfile');
    expect(list(s.command, 'command')).toEqual([name]);
    const check = list(obj(s.healthcheck, 'healthcheck').test, 'healthcheck.test').map(String);
    expect(check).toContain('deploy/healthcheck.mjs');
    expect(check.at(-1)).toBe(name === 'api' ? 'grpc' : 'http');
    const env = envOf(name);
    expect(Object.keys(env).filter((k) => !knownVars.has(k))).toEqual([]);
    // ${VAR:-default} is compose interpolation; validate with the default filled in.
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));
    const config = loadConfig(resolved);
    expect(config.ESDB_URL).toMatch(/^esdb:\/\/eventstore:2113\b/);
    expect(config.MONGO_URL).toMatch(/^mongodb:\/\/mongo:27017\/\?replicaSet=rs0/);
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    const depends = obj(s.depends_on, 'depends_on');
    for (const backing of ['eventstore', 'mongo', 'redis']) {
      expect(obj(depends[backing], backing).condition).toBe('service_healthy');
    }
  });

  test('the api authenticates its callers unless LEDGER_AUTH_MODE says otherwise (issue 13)', () => {
    expect(loadConfig(resolvedEnvOf('api')).AUTH_MODE).not.toBe('none');
  });

  test('the api publishes its gRPC port and it matches GRPC_PORT', () => {
    const config = loadConfig(resolvedEnvOf('api'));
    const published = list(service('api').ports, 'api.ports').map((p) => String(p).split(':').map(Number));
    expect(published).toContainEqual([config.GRPC_PORT, config.GRPC_PORT]);
    expect(published).toContainEqual([config.METRICS_PORT, config.METRICS_PORT]);
  });

  test('projector, jobs and the transfer process can be scaled: no host ports, no fixed container names', () => {
    for (const name of ['projector', 'jobs', 'transfer-process']) {
      expect(service(name).ports).toBeUndefined();
      expect(service(name).container_name).toBeUndefined();
    }
  });
});
