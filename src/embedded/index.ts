export { freePort, portFree } from './free-port.js';
export { spawnListening, type ChildServer, type SpawnOptions } from './child-server.js';
export {
  SupervisedServer,
  DEFAULT_RESTART,
  type EmbeddedServerOptions,
  type RestartPolicy,
  type ServerSpec,
  type ServerEvents,
  type ServerDown,
  type ServerUp,
  type RestartFailed,
} from './supervised-server.js';
export { DataDirInUse } from './server-pid-file.js';
export { startFerretDb, ferretdbBinary, type EmbeddedMongo } from './ferretdb.js';
export { startRedis, type EmbeddedRedis } from './redis.js';
export { startMongoJavaServer, mongoJavaServerHome } from './mongo-java-server.js';
