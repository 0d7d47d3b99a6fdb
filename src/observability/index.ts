export { createLogger, withCorrelation, type Logger, type LoggerOptions, type CorrelationIds } from './logger.js';
export { CORRELATION_HEADER, correlationFieldsOf, correlationIdFrom } from './correlation.js';
export {
  createMetrics, secondsSince, type LedgerMetrics, type CallOutcome, type ProjectionOutcome, type ProjectorLagReading,
} from './metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export {
  startTracing, tracingSettings, traceContextCarrier, contextFromCarrier, type Tracing, type TracingSettings,
} from './tracing.js';
export { commandMetricsInterceptor, outcomeOfStatus } from './command-metrics-interceptor.js';
export { timeJob, timedJob } from './timed-job.js';
export { projectorBatchHook } from './projector-batch-hook.js';
export { inBatchSpan } from './batch-span.js';
