import { Redis } from 'ioredis';

/**
 * One ioredis client per Queue/Worker, owned by whoever opens it.
 * `maxRetriesPerRequest: null` is what BullMQ workers require: during a Redis
 * restart commands wait for the reconnect instead of failing, so a rebuild in
 * progress pauses and goes on rather than losing its job.
 */
export function openRedis(url: string, security: RedisSecurity = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...security });
}

/** Credentials and TLS from the config (src/config.ts redisSecurityOptions), passed through as is. */
export type RedisSecurity = { readonly username?: string; readonly password?: string; readonly tls?: { readonly ca: Buffer } };
