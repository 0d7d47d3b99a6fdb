export { freePort } from './free-port.js';
export { spawnListening, type ChildServer } from './child-server.js';
export { startFerretDb, ferretdbBinary, type EmbeddedMongo } from './ferretdb.js';
export { startRedis, type EmbeddedRedis } from './redis.js';
