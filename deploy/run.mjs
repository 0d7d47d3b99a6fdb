// The image's entry point: one image, the process chosen by its first
// argument (`docker run ledger projector`, `command: ["jobs"]` in compose,
// `args: ["api"]` in Kubernetes). Each name maps to a compiled workers/ file.
import { fileURLToPath } from 'node:url';

const PROCESSES = ['api', 'projector', 'jobs', 'transfer-process'];

const name = process.argv[2] ?? 'api';
if (!PROCESSES.includes(name)) {
  console.error(`ledger: unknown process "${name}"; expected one of: ${PROCESSES.join(', ')}`);
  process.exit(64);
}

// Tracing first (off unless OTEL_* asks for it): the gRPC and MongoDB
// instrumentations patch those packages only if they load after this.
const { loadConfig } = await import('../dist/src/config.js');
const { startTracing, tracingSettings } = await import('../dist/src/observability/tracing.js');
startTracing(tracingSettings(loadConfig(process.env), name));

// The workers run their main() only when they are the script node was
// started with (argv[1]); make it so, then load the worker.
const worker = new URL(`../dist/workers/${name}.js`, import.meta.url);
process.argv[1] = fileURLToPath(worker);
process.argv.splice(2, 1);
await import(worker.href);
