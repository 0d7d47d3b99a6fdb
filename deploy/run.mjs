// The image's entry point: one image, the process chosen by its first
// argument (`docker run ledger projector`, `command: ["jobs"]` in compose,
// `args: ["api"]` in Kubernetes). Each name maps to a compiled workers/ file.
const PROCESSES = ['api', 'projector', 'jobs'];

const name = process.argv[2] ?? 'api';
if (!PROCESSES.includes(name)) {
  console.error(`ledger: unknown process "${name}"; expected one of: ${PROCESSES.join(', ')}`);
  process.exit(64);
}
await import(new URL(`../dist/workers/${name}.js`, import.meta.url).href);
