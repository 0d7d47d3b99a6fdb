import { z } from 'zod';

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
  SNAPSHOT_EVERY: z.coerce.number().int().min(1).default(100),
  PROJECTOR_GROUP: z.string().min(1).default('ledger-projector'),
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  PROJECTOR_BATCH_MS: z.coerce.number().int().min(1).default(50),
  PROJECTOR_MAX_RETRIES: z.coerce.number().int().min(0).default(5),
  REBUILD_BATCH_SIZE: z.coerce.number().int().min(1).default(1000),
  REBUILD_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  ESDB_FSYNC: bool.default('true'),
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
  return r.data;
}
