import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ConfigError, esdbConnectionString, grpcServerTlsFiles, loadConfig, mongoSecurityOptions, redisConnectionUrl, redisTlsOptions,
} from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ledger-config-'));
const pem = join(dir, 'server.pem');
writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n');

const messageFor = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error(`expected ConfigError for ${JSON.stringify(env)}`);
};

describe('a bad value is refused with a message naming the variable', () => {
  test.each([
    [{ GRPC_PORT: 'seventy' }, 'GRPC_PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ ESDB_URL: 'http://localhost:2113' }, 'ESDB_URL'],
    [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ GRPC_TLS_CERT_FILE: pem }, 'GRPC_TLS_KEY_FILE'],
    [{ GRPC_TLS_CERT_FILE: pem, GRPC_TLS_KEY_FILE: join(dir, 'missing.key') }, 'GRPC_TLS_KEY_FILE'],
    [{ GRPC_TLS_CLIENT_CA_FILE: pem }, 'GRPC_TLS_CERT_FILE'],
    [{ MONGO_USERNAME: 'ledger' }, 'MONGO_PASSWORD'],
    [{ ESDB_PASSWORD: 'secret' }, 'ESDB_USERNAME'],
    [{ REDIS_TLS_CA_FILE: join(dir, 'nope.pem') }, 'REDIS_TLS_CA_FILE'],
  ])('%j names %s', (env, variable) => {
    expect(messageFor(env)).toContain(`${variable}:`);
  });
});

describe('security settings pass through to the drivers', () => {
  test('gRPC TLS is off by default and on with a cert/key pair', () => {
    expect(grpcServerTlsFiles(loadConfig({}))).toBeUndefined();
    const c = loadConfig({ GRPC_TLS_CERT_FILE: pem, GRPC_TLS_KEY_FILE: pem, GRPC_TLS_CLIENT_CA_FILE: pem });
    expect(grpcServerTlsFiles(c)).toEqual({ certFile: pem, keyFile: pem, clientCaFile: pem });
  });

  test('ESDB credentials and CA file are folded into the connection string', () => {
    const c = loadConfig({
      ESDB_URL: 'esdb://node1:2113,node2:2113?tls=true',
      ESDB_USERNAME: 'ops', ESDB_PASSWORD: 'p@ss word', ESDB_TLS_CA_FILE: pem,
    });
    expect(esdbConnectionString(c)).toBe(
      `esdb://ops:p%40ss%20word@node1:2113,node2:2113?tls=true&tlsCAFile=${encodeURIComponent(pem)}`,
    );
  });

  test('credentials already in the ESDB URL win over the separate variables', () => {
    const c = loadConfig({ ESDB_URL: 'esdb://a:b@node1:2113', ESDB_USERNAME: 'x', ESDB_PASSWORD: 'y' });
    expect(esdbConnectionString(c)).toBe('esdb://a:b@node1:2113');
  });

  test('Mongo and Redis options carry TLS files and credentials', () => {
    const c = loadConfig({
      MONGO_URL: 'mongodb://m:27017', MONGO_TLS_CA_FILE: pem, MONGO_USERNAME: 'u', MONGO_PASSWORD: 'p',
      REDIS_URL: 'rediss://r:6380', REDIS_TLS_CA_FILE: pem, REDIS_PASSWORD: 'rp',
    });
    expect(mongoSecurityOptions(c)).toEqual({ tls: true, tlsCAFile: pem, auth: { username: 'u', password: 'p' } });
    expect(redisTlsOptions(c, (p) => Buffer.from(`ca from ${p}`))?.ca.toString()).toBe(`ca from ${pem}`);
    expect(redisTlsOptions(loadConfig({ REDIS_URL: 'rediss://r:6380' }), () => Buffer.alloc(0))).toBeUndefined();
    expect(redisConnectionUrl(c)).toBe('rediss://:rp@r:6380');
    expect(mongoSecurityOptions(loadConfig({}))).toEqual({});
  });

  test('Redis credentials are folded into the URL unless it has its own', () => {
    expect(redisConnectionUrl(loadConfig({ REDIS_URL: 'rediss://r:6380', REDIS_USERNAME: 'ledger', REDIS_PASSWORD: 'p w' })))
      .toBe('rediss://ledger:p%20w@r:6380');
    expect(redisConnectionUrl(loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'only' }))).toBe('redis://:only@r:6379');
    expect(redisConnectionUrl(loadConfig({ REDIS_URL: 'redis://:own@r:6379', REDIS_PASSWORD: 'other' }))).toBe('redis://:own@r:6379');
    expect(redisConnectionUrl(loadConfig({ REDIS_URL: 'redis://r:6379' }))).toBe('redis://r:6379');
  });
});
