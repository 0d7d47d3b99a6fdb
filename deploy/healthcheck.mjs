// Container health check, run by Docker inside the image (distroless: no
// shell, no curl). `grpc` asks grpc.health.v1 on GRPC_PORT (the api);
// `http` asks /healthz on METRICS_PORT (projector and jobs have no gRPC port).
// Exit 0 healthy, 1 not.
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const mode = process.argv[2] ?? 'http';
const timeoutMs = 3_000;
const fail = (why) => { console.error(`unhealthy: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), timeoutMs).unref();

if (mode === 'grpc') {
  const port = process.env.GRPC_PORT ?? '50051';
  const Health = makeGenericClientConstructor(healthService, 'Health');
  const client = new Health(`127.0.0.1:${port}`, credentials.createInsecure());
  client.check({ service: '' }, { deadline: Date.now() + timeoutMs }, (err, res) => {
    if (err) fail(err.message);
    if (res?.status !== 'SERVING' && res?.status !== 1) fail(`status ${res?.status}`);
    process.exit(0);
  });
} else {
  const port = process.env.METRICS_PORT ?? '9464';
  fetch(`http://127.0.0.1:${port}/healthz`).then(
    (res) => (res.ok ? process.exit(0) : fail(`HTTP ${res.status}`)),
    (err) => fail(err.message),
  );
}
