import { Redis } from 'ioredis';

/**
 * One ioredis client per Queue/Worker, owned by whoever opens it.
 * `maxRetriesPerRequest: null` is what BullMQ workers require: during a Redis
 * restart commands wait for the reconnect instead of failing, so a rebuild in
 * progress pauses and goes on rather than losing its job.
 */
export function openRedis(url: string, tls?: RedisTls): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...redisTls(tls) });
  // BullMQ reports connection errors through the Worker's 'error' event, but
  // it drops its listener when it closes; a client left without one prints
  // "[ioredis] Unhandled error event" (not JSON) on every reconnect attempt
  // while Redis is down (issue 11). Commands still fail or wait as before.
  client.on('error', () => undefined);
  return client;
}

/** The CA to trust for Redis over TLS (src/config.ts redisTlsOptions); credentials travel in the URL. */
export type RedisTls = { readonly ca: Buffer };

/** ioredis options for `tls` (none: the URL decides, `rediss://` meaning TLS with the system's CAs). */
export const redisTls = (tls: RedisTls | undefined): { tls?: { ca: Buffer } } => (tls === undefined ? {} : { tls: { ca: tls.ca } });
