import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, 'traced-health-call.ts');
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');

/** Runs one traced gRPC call in a fresh process with `env` and returns its stdout. */
const tracedCall = async (env: Record<string, string>): Promise<string> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const { stdout } = await run(tsx, [fixture], { env: { ...clean, ...env }, timeout: 60_000 });
  return stdout;
};

describe('tracing a real gRPC call, switched by the OTEL_* variables', () => {
  test('OTEL_TRACES_EXPORTER=console: the server span of the call is exported with the service name', async () => {
    const out = await tracedCall({ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'ledger-probe' });
    expect(out).toContain('TRACING_ENABLED=true');
    expect(out).toContain("name: 'grpc.grpc.health.v1.Health/Check'");
    expect(out).toContain("'service.name': 'ledger-probe'");
  });

  test('no OTEL_* variable: tracing stays off and nothing is exported', async () => {
    const out = await tracedCall({});
    expect(out).toContain('TRACING_ENABLED=false');
    expect(out).not.toContain('grpc.health.v1.Health/Check');
  });
});
