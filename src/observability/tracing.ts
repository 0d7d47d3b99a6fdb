import { register } from 'node:module';
import { context, propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.js';

/** Where spans go; undefined from tracingSettings means tracing is off. */
export interface TracingSettings {
  exporter: 'otlp' | 'console';
  /** Full OTLP/HTTP traces URL; omitted: the exporter's default (localhost:4318). */
  url?: string;
  serviceName: string;
}

/**
 * Off by default. On when OTEL_TRACES_EXPORTER names an exporter or an OTLP
 * endpoint is set, as the OTEL_* conventions say; OTEL_SDK_DISABLED wins.
 */
export function tracingSettings(c: Config, processName: string): TracingSettings | undefined {
  if (c.OTEL_SDK_DISABLED || c.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const endpointSet = c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || c.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  if (c.OTEL_TRACES_EXPORTER === undefined && !endpointSet) return undefined;
  const serviceName = c.OTEL_SERVICE_NAME ?? `ledger-${processName}`;
  if (c.OTEL_TRACES_EXPORTER === 'console') return { exporter: 'console', serviceName };
  // The signal-specific variable is used as is; the general one gets the
  // signal path appended (OTLP exporter specification).
  const url = c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ?? (c.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? undefined : `${c.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`);
  return url === undefined ? { exporter: 'otlp', serviceName } : { exporter: 'otlp', url, serviceName };
}

/** Started by an entry point; shutdown() flushes the spans still buffered. */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Installs the tracer provider and the gRPC and MongoDB instrumentations.
 * Call it before anything imports @grpc/grpc-js or mongodb (deploy/run.mjs
 * does, then imports the worker): the packages are patched as they load.
 * `exporter` overrides the settings' exporter (tests pass an in-memory one).
 */
export function startTracing(settings: TracingSettings | undefined, exporter?: SpanExporter): Tracing {
  if (settings === undefined) {
    return { enabled: false, tracer: trace.getTracer('ledger'), shutdown: () => Promise.resolve() };
  }
  // ESM imports bypass require(), so the instrumentations only see packages
  // loaded after this loader hook is registered (import-in-the-middle).
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const spanExporter = exporter
    ?? (settings.exporter === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter(settings.url === undefined ? {} : { url: settings.url }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(spanExporter)],
  });
  provider.register();
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new GrpcInstrumentation(), new MongoDBInstrumentation()],
  });
  return {
    enabled: true,
    tracer: provider.getTracer('ledger'),
    shutdown: async () => {
      unregister();
      await provider.shutdown();
      // The OpenTelemetry API keeps the provider in process-wide slots that
      // can be set only once; free them so a later startTracing takes effect.
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/**
 * The active trace context as W3C `traceparent`/`tracestate` entries, for
 * event metadata: the projector and jobs continue the api's trace from it.
 */
export function traceContextCarrier(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context recorded in an event's metadata (see traceContextCarrier); active context when absent. */
export function contextFromCarrier(carrier: Readonly<Record<string, unknown>>): Context {
  const strings: Record<string, string> = {};
  for (const key of ['traceparent', 'tracestate']) {
    const v = carrier[key];
    if (typeof v === 'string') strings[key] = v;
  }
  return propagation.extract(context.active(), strings);
}
