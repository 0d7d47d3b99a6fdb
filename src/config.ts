import { existsSync } from 'node:fs';
import { z } from 'zod';
import { shippedEventRepairs } from './domain/event-repairs.js';
import { DEFAULT_COMMAND_WINDOW } from './app/command-window.js';

/**
 * Every setting Ledger reads, validated once at the edge (STYLE.md §8).
 * Entry points call loadConfig(process.env) and pass plain values down;
 * nothing else reads process.env. Each variable is in the README table.
 * Unset *_URL variables mean "start the embedded server" (npm start).
 */
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

export const configSchema = z.object({
  ESDB_URL: z.string().startsWith('esdb').optional(),
  MONGO_URL: z.string().startsWith('mongodb').optional(),
  MONGO_DB: z.string().min(1).default('ledger'),
  // Which Mongo-wire server: the one `npm start` runs when MONGO_URL is unset
  // (mongo-java-server or ferretdb), or what MONGO_URL points at (default
  // mongodb). It picks the read store's defaults below (read-store-profile.ts).
  MONGO_SERVER: z.enum(['mongodb', 'mongo-java-server', 'ferretdb']).optional(),
  MONGO_GUARD_INDEX: bool.optional(),
  MONGO_MAX_BULK_OPS: z.coerce.number().int().min(1).max(100_000).optional(),
  MONGO_OP_TIMEOUT_MS: z.coerce.number().int().min(100).optional(),
  REDIS_URL: z.string().startsWith('redis').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  GRPC_HOST: z.string().default('0.0.0.0'),
  GRPC_PORT: port.default(50051),
  GRPC_MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_PORT: port.default(50052),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: port.default(9464),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  COMMAND_MAX_RETRIES: z.coerce.number().int().min(0).max(100).default(10),
  // At least the command batch (100): a batch's answers are read from the window after its append.
  COMMAND_WINDOW: z.coerce.number().int().min(100).default(DEFAULT_COMMAND_WINDOW),
  SNAPSHOT_EVERY: z.coerce.number().int().min(1).default(100),
  PROJECTOR_GROUP: z.string().min(1).default('ledger-projector'),
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  PROJECTOR_BATCH_MS: z.coerce.number().int().min(1).default(50),
  PROJECTOR_MAX_RETRIES: z.coerce.number().int().min(0).default(5),
  PROJECTOR_CONSUMER_STRATEGY: z.enum(['Pinned', 'RoundRobin', 'DispatchToSingle']).default('Pinned'),
  PROJECTOR_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).default(200),
  PROJECTOR_MESSAGE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  PROJECTOR_STATUS_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  REBUILD_BATCH_SIZE: z.coerce.number().int().min(1).default(1000),
  REBUILD_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  REBUILD_SETTLE_MS: z.coerce.number().int().min(0).default(3_000),
  REBUILD_FLUSH_MS: z.coerce.number().int().min(0).default(2_000),
  SNAPSHOT_SWEEP_MS: z.coerce.number().int().min(0).default(60_000),
  JOBS_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  // The transfer process (issue 15): its subscription group, deliveries at
  // once, and the watchdog that drives transfers still in flight after
  // TRANSFER_STUCK_AFTER_MS (every TRANSFER_WATCHDOG_MS; 0 turns it off).
  TRANSFER_GROUP: z.string().min(1).default('ledger-transfers'),
  TRANSFER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(64),
  TRANSFER_WATCHDOG_MS: z.coerce.number().int().min(0).default(5_000),
  TRANSFER_STUCK_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
  ESDB_FSYNC: bool.default('true'),
  // Repairs of stored events every reader applies (issue 14): shipped ones
  // by name, comma-separated, and a JSON file of single-event corrections.
  EVENT_REPAIRS: z.string().optional().transform((v, ctx) => {
    const names = (v ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
    for (const n of names) {
      if (!(n in shippedEventRepairs)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `unknown repair ${n}; shipped: ${Object.keys(shippedEventRepairs).join(', ')}` });
    }
    return names;
  }),
  EVENT_REPAIRS_FILE: z.string().min(1).optional(),
  // Security pass-through (issue 7). File variables name PEM files (mounted
  // secrets); credentials live apart from the URLs so a URL can sit in a
  // ConfigMap and its password in a Secret.
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
  GRPC_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  ESDB_TLS_CA_FILE: z.string().min(1).optional(),
  ESDB_USERNAME: z.string().min(1).optional(),
  ESDB_PASSWORD: z.string().min(1).optional(),
  MONGO_TLS_CA_FILE: z.string().min(1).optional(),
  MONGO_TLS_CERT_KEY_FILE: z.string().min(1).optional(),
  MONGO_USERNAME: z.string().min(1).optional(),
  MONGO_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  // Who may call the public API (issue 13; docs/security.md). none: nobody
  // is authenticated and every caller acts as an operator (local use only,
  // warned at start). jwt: a bearer token verified against a JWKS. mtls: the
  // client certificate (GRPC_TLS_CLIENT_CA_FILE). jwt,mtls: either.
  AUTH_MODE: z.enum(['none', 'jwt', 'mtls', 'jwt,mtls']).default('none'),
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_JWKS_FILE: z.string().min(1).optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_PRINCIPAL_CLAIM: z.string().min(1).default('sub'),
  AUTH_OPERATOR_ROLE: z.string().min(1).default('ledger:operator'),
  AUTH_MTLS_PRINCIPAL: z.enum(['cn', 'san']).default('cn'),
  AUTH_MTLS_OPERATORS: z.string().default('').transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s !== '')),
  // Observability (issue 7). Tracing is off unless an exporter or an OTLP
  // endpoint is named; the OTLP exporter reads its other OTEL_* variables
  // (headers, timeouts) itself, as every OpenTelemetry SDK does.
  METRICS_HOST: z.string().default('0.0.0.0'),
  OTEL_SDK_DISABLED: bool.default('false'),
  OTEL_TRACES_EXPORTER: z.enum(['none', 'otlp', 'console']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; a bad value throws ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const r = configSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const problems = securityProblems(r.data);
  if (r.data.MONGO_URL === undefined && r.data.MONGO_SERVER === 'mongodb') {
    problems.push('MONGO_SERVER: mongodb cannot be started by Ledger; set MONGO_URL, or choose mongo-java-server or ferretdb');
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return r.data;
}

/** Variables that only make sense together, and files that must exist at start. */
const FILE_VARS = [
  'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE', 'GRPC_TLS_CLIENT_CA_FILE', 'ESDB_TLS_CA_FILE',
  'MONGO_TLS_CA_FILE', 'MONGO_TLS_CERT_KEY_FILE', 'REDIS_TLS_CA_FILE', 'EVENT_REPAIRS_FILE',
  'AUTH_JWKS_FILE',
] as const;

function securityProblems(c: Config): string[] {
  const problems: string[] = [];
  const pair = (a: keyof Config, b: keyof Config): void => {
    if (c[a] !== undefined && c[b] === undefined) problems.push(`${b}: required when ${a} is set`);
  };
  pair('GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE');
  pair('GRPC_TLS_KEY_FILE', 'GRPC_TLS_CERT_FILE');
  pair('GRPC_TLS_CLIENT_CA_FILE', 'GRPC_TLS_CERT_FILE');
  pair('ESDB_USERNAME', 'ESDB_PASSWORD');
  pair('ESDB_PASSWORD', 'ESDB_USERNAME');
  pair('MONGO_USERNAME', 'MONGO_PASSWORD');
  pair('MONGO_PASSWORD', 'MONGO_USERNAME');
  problems.push(...authenticationProblems(c));
  // A missing certificate would otherwise surface as an opaque handshake
  // failure long after start; naming the variable here saves the hunt.
  for (const name of FILE_VARS) {
    const file = c[name];
    if (file !== undefined && !existsSync(file)) problems.push(`${name}: file not found: ${file}`);
  }
  return problems;
}

function authenticationProblems(c: Config): string[] {
  const problems: string[] = [];
  if (c.AUTH_MODE.includes('jwt')) {
    if ((c.AUTH_JWKS_URL === undefined) === (c.AUTH_JWKS_FILE === undefined))
      problems.push(`AUTH_JWKS_URL or AUTH_JWKS_FILE: exactly one is required when AUTH_MODE=${c.AUTH_MODE}`);
    if (c.AUTH_JWT_ISSUER === undefined) problems.push(`AUTH_JWT_ISSUER: required when AUTH_MODE=${c.AUTH_MODE}`);
    if (c.AUTH_JWT_AUDIENCE === undefined) problems.push(`AUTH_JWT_AUDIENCE: required when AUTH_MODE=${c.AUTH_MODE}`);
  }
  if (c.AUTH_MODE.includes('mtls') && c.GRPC_TLS_CLIENT_CA_FILE === undefined)
    problems.push(`GRPC_TLS_CLIENT_CA_FILE: required when AUTH_MODE=${c.AUTH_MODE} (with GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE)`);
  return problems;
}

// Connection security derived from the config (issue 7): plain values the
// adapters hand to their drivers, so no adapter reads a variable itself.

/** ESDB_URL with ESDB_USERNAME/PASSWORD and ESDB_TLS_CA_FILE folded in; the client reads both from the string. */
export function esdbConnectionString(c: Config): string | undefined {
  if (c.ESDB_URL === undefined) return undefined;
  let url = c.ESDB_URL;
  const schemeEnd = url.indexOf('://') + 3;
  const authority = url.slice(schemeEnd).split(/[/?]/)[0] ?? '';
  if (c.ESDB_USERNAME !== undefined && c.ESDB_PASSWORD !== undefined && !authority.includes('@')) {
    const creds = `${encodeURIComponent(c.ESDB_USERNAME)}:${encodeURIComponent(c.ESDB_PASSWORD)}@`;
    url = url.slice(0, schemeEnd) + creds + url.slice(schemeEnd);
  }
  if (c.ESDB_TLS_CA_FILE !== undefined) {
    url += `${url.includes('?') ? '&' : '?'}tlsCAFile=${encodeURIComponent(c.ESDB_TLS_CA_FILE)}`;
  }
  return url;
}

export interface MongoSecurityOptions {
  tls?: true;
  tlsCAFile?: string;
  tlsCertificateKeyFile?: string;
  auth?: { username: string; password: string };
}

/** Extra options for `new MongoClient(MONGO_URL, options)`; empty when nothing is set. */
export function mongoSecurityOptions(c: Config): MongoSecurityOptions {
  const o: MongoSecurityOptions = {};
  if (c.MONGO_TLS_CA_FILE !== undefined || c.MONGO_TLS_CERT_KEY_FILE !== undefined) o.tls = true;
  if (c.MONGO_TLS_CA_FILE !== undefined) o.tlsCAFile = c.MONGO_TLS_CA_FILE;
  if (c.MONGO_TLS_CERT_KEY_FILE !== undefined) o.tlsCertificateKeyFile = c.MONGO_TLS_CERT_KEY_FILE;
  if (c.MONGO_USERNAME !== undefined && c.MONGO_PASSWORD !== undefined) {
    o.auth = { username: c.MONGO_USERNAME, password: c.MONGO_PASSWORD };
  }
  return o;
}

/**
 * The CA ioredis should trust, from REDIS_TLS_CA_FILE (a private CA; a
 * `rediss://` URL alone uses the system's CAs). Setting it turns TLS on.
 * Credentials travel in the URL (redisConnectionUrl). Only for REDIS_URL:
 * the embedded redis-server has no TLS. `readFile` is passed in so this
 * stays pure.
 */
export function redisTlsOptions(c: Config, readFile: (path: string) => Buffer): { ca: Buffer } | undefined {
  return c.REDIS_URL === undefined || c.REDIS_TLS_CA_FILE === undefined ? undefined : { ca: readFile(c.REDIS_TLS_CA_FILE) };
}

export interface GrpcServerTlsFiles {
  certFile: string;
  keyFile: string;
  /** Set: clients must present a certificate signed by this CA (mutual TLS). */
  clientCaFile?: string;
}

/** The public API's TLS files, or undefined for plaintext (loadConfig checked they come in pairs). */
export function grpcServerTlsFiles(c: Config): GrpcServerTlsFiles | undefined {
  if (c.GRPC_TLS_CERT_FILE === undefined || c.GRPC_TLS_KEY_FILE === undefined) return undefined;
  const files: GrpcServerTlsFiles = { certFile: c.GRPC_TLS_CERT_FILE, keyFile: c.GRPC_TLS_KEY_FILE };
  if (c.GRPC_TLS_CLIENT_CA_FILE !== undefined) files.clientCaFile = c.GRPC_TLS_CLIENT_CA_FILE;
  return files;
}

/** REDIS_URL with REDIS_USERNAME/PASSWORD folded in (ioredis reads them from the URL) unless it has its own. */
export function redisConnectionUrl(c: Config): string | undefined {
  if (c.REDIS_URL === undefined || c.REDIS_PASSWORD === undefined) return c.REDIS_URL;
  const url = new URL(c.REDIS_URL);
  if (url.password !== '' || url.username !== '') return c.REDIS_URL;
  url.username = c.REDIS_USERNAME ?? '';
  url.password = c.REDIS_PASSWORD;
  return url.toString();
}

/**
 * Every secret value the config holds, for the logger to keep out of every
 * line (issue 13): the password and token variables, and passwords written
 * into the URLs themselves.
 */
export function configSecrets(c: Config): string[] {
  const inUrl = (url: string | undefined): string[] => {
    const password = url === undefined ? undefined : /^[a-z][a-z0-9+.-]*:\/\/[^/@]*?:([^/@]+)@/i.exec(url)?.[1];
    if (password === undefined) return [];
    try {
      return [password, decodeURIComponent(password)];
    } catch {
      return [password];
    }
  };
  return [c.ESDB_PASSWORD, c.MONGO_PASSWORD, c.REDIS_PASSWORD, c.ADMIN_TOKEN, ...inUrl(c.ESDB_URL), ...inUrl(c.MONGO_URL), ...inUrl(c.REDIS_URL)]
    .filter((s): s is string => s !== undefined && s !== '');
}
