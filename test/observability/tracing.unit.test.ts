import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { context, trace } from '@opentelemetry/api';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { contextFromCarrier, inBatchSpan, startTracing, traceContextCarrier, tracingSettings } from '../../src/observability/index.js';

// InMemorySpanExporter forgets its spans on shutdown; keep them to look at after the flush.
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> { return Promise.resolve(); }
}

describe('tracing is off by default and on with the standard OTEL_* variables', () => {
  test.each([
    [{}, undefined],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, undefined],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, undefined],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, { exporter: 'otlp', serviceName: 'ledger-api' }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' },
      { exporter: 'otlp', url: 'http://collector:4318/v1/traces', serviceName: 'ledger-api' }],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' },
      { exporter: 'otlp', url: 'http://b:4318/traces', serviceName: 'ledger-api' }],
    [{ OTEL_TRACES_EXPORTER: 'console', OTEL_SERVICE_NAME: 'bank' }, { exporter: 'console', serviceName: 'bank' }],
  ])('%j', (env, expected) => {
    expect(tracingSettings(loadConfig(env), 'api')).toEqual(expected);
  });

  test('off: a no-op tracer records nothing', async () => {
    const tracing = startTracing(undefined);
    expect(tracing.enabled).toBe(false);
    const span = tracing.tracer.startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    await tracing.shutdown();
  });

  test('on: spans reach the exporter and the context survives a trip through event metadata', async () => {
    const exporter = new KeepingExporter();
    const tracing = startTracing({ exporter: 'console', serviceName: 'ledger-test' }, exporter);
    const api = tracing.tracer.startSpan('Deposit');
    const carrier = traceContextCarrier(trace.setSpan(context.active(), api));
    api.end();
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);

    const projector = tracing.tracer.startSpan('project', {}, contextFromCarrier({ ...carrier, other: 1 }));
    projector.end();
    await tracing.shutdown();

    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['Deposit', 'project']);
    expect(spans[1]?.spanContext().traceId).toBe(spans[0]?.spanContext().traceId);
    expect(spans[1]?.parentSpanContext?.spanId).toBe(spans[0]?.spanContext().spanId);
    expect(spans[0]?.resource.attributes['service.name']).toBe('ledger-test');
  });

  test('a projector batch span links to the requests whose events it carries', async () => {
    const exporter = new KeepingExporter();
    const tracing = startTracing({ exporter: 'console', serviceName: 'ledger-test' }, exporter);
    const requests = ['Deposit', 'Withdraw'].map((n) => tracing.tracer.startSpan(n));
    const metadata: unknown[] = requests.map((span) => ({
      command_id: 'c', ...traceContextCarrier(trace.setSpan(context.active(), span)),
    }));
    requests.forEach((s) => s.end());
    metadata.push({ command_id: 'written before tracing was on' }, null);
    await expect(inBatchSpan('project batch', metadata, async () => 'written')).resolves.toBe('written');
    await expect(inBatchSpan('project batch', [], async () => { throw new Error('mongo down'); })).rejects.toThrow('mongo down');
    await tracing.shutdown();

    const [ok, failed] = exporter.getFinishedSpans().filter((s) => s.name === 'project batch');
    expect(ok?.links.map((l) => l.context.spanId)).toEqual(requests.map((s) => s.spanContext().spanId));
    expect(ok?.attributes['ledger.batch.size']).toBe(4);
    expect(failed?.status.code).toBe(2);
  });
});
