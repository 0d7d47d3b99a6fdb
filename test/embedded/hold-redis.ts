import { startRedis } from '../../src/embedded/index.js';

/**
 * A stand-in for Ledger in the supervision tests: starts a supervised
 * redis-server on the data directory in argv[2], prints its pid and port as
 * one JSON line, then waits to be killed.
 */
const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: hold-redis.ts <dataDir>');
const redis = await startRedis({ dataDir });
process.stdout.write(`${JSON.stringify({ pid: redis.process.pid, port: redis.port })}\n`);
setInterval(() => undefined, 60_000);
