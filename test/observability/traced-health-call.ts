// Child process for tracing-grpc.int.test.ts: starts tracing from the real
// environment (OTEL_* variables), and only then loads grpc-js, as
// deploy/run.mjs does, serves and calls grpc.health.v1 once, and flushes.
import { loadConfig } from '../../src/config.js';
import { startTracing, tracingSettings } from '../../src/observability/tracing.js';

const tracing = startTracing(tracingSettings(loadConfig(process.env), 'probe'));
const grpc = await import('@grpc/grpc-js');
const { HealthImplementation, service } = await import('grpc-health-check');
const server = new grpc.Server();
new HealthImplementation({ '': 'SERVING' }).addToServer(server);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
const client = new (grpc.makeGenericClientConstructor(service, 'Health'))(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const check = client.check as (req: { service: string }, cb: (err: Error | null) => void) => void;
await new Promise<void>((resolve, reject) => check.call(client, { service: '' }, (err) => (err ? reject(err) : resolve())));
client.close();
server.forceShutdown();
await tracing.shutdown();
console.log(`TRACING_ENABLED=${tracing.enabled}`);
