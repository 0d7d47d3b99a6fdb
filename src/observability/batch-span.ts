import { SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { contextFromCarrier } from './tracing.js';

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null;

/**
 * Runs `work` (one projector batch) in a span linked to the traces of the
 * requests that produced its events: their `traceparent` travels in the
 * event metadata (see traceContextCarrier). A batch mixes many requests, so
 * links, not a parent. With tracing off the API's no-op tracer makes this free.
 */
export async function inBatchSpan<T>(name: string, eventMetadata: readonly unknown[], work: () => Promise<T>): Promise<T> {
  const links: Link[] = [];
  for (const metadata of eventMetadata) {
    if (!isRecord(metadata) || typeof metadata.traceparent !== 'string') continue;
    const context = trace.getSpanContext(contextFromCarrier(metadata));
    if (context !== undefined) links.push({ context });
  }
  return trace.getTracer('ledger').startActiveSpan(name, { links, attributes: { 'ledger.batch.size': eventMetadata.length } }, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
