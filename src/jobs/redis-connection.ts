import { Redis } from 'ioredis';

/**
 * One ioredis client per Queue/Worker, owned by whoever opens it.
 * `maxRetriesPerRequest: null` is what BullMQ workers require: during a Redis
 * restart commands wait for the reconnect instead of failing, so a rebuild in
 * progress pauses and goes on rather than losing its job.
 */
export function openRedis(url: string, tls?: RedisTls): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...redisTls(tls) });
}

/** The CA to trust for Redis over TLS (src/config.ts redisTlsOptions); credentials travel in the URL. */
export type RedisTls = { readonly ca: Buffer };

/** ioredis options for `tls` (none: the URL decides, `rediss://` meaning TLS with the system's CAs). */
export const redisTls = (tls: RedisTls | undefined): { tls?: { ca: Buffer } } => (tls === undefined ? {} : { tls: { ca: tls.ca } });
