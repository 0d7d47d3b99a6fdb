import { Metadata, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { InvalidCommand, LedgerError } from '../domain/index.js';
import { CORRELATION_HEADER, correlationIdFrom, type LedgerMetrics } from '../observability/index.js';
import type { CommandOutcome as MetricOutcome } from '../observability/metrics.js';
import type { CallContext } from './command-requests.js';
import { toServiceError } from './error-status.js';
import { MalformedRequest } from './service-definition.js';

export type UnaryDeps = { readonly logger: Logger; readonly metrics?: LedgerMetrics };
export type UnaryAnswer<Res> = { readonly response: Res; readonly trailer?: Record<string, string> };

/**
 * Adapts one async use case to a grpc-js unary handler: call context in
 * (correlation id, deadline), answer or mapped error out, each call measured.
 */
export function unaryCall<Req, Res>(
  name: string,
  deps: UnaryDeps,
  run: (request: Req, ctx: CallContext) => Promise<UnaryAnswer<Res>>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx = callContext(call);
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const request: Req | MalformedRequest = call.request;
    const answer =
      request instanceof MalformedRequest
        ? Promise.reject(new InvalidCommand([{ field: 'request', description: `not a valid ${request.typeName}: ${request.reason}` }]))
        : run(request, ctx);
    answer.then(
      ({ response, trailer }) => {
        deps.metrics?.commandHandled(name, 'ok', seconds());
        if (trailer === undefined || Object.keys(trailer).length === 0) return callback(null, response);
        const md = new Metadata();
        for (const [k, v] of Object.entries(trailer)) md.set(k, v);
        callback(null, response, md);
      },
      (e: unknown) => {
        deps.metrics?.commandHandled(name, metricOutcome(e), seconds());
        if (!(e instanceof LedgerError)) deps.logger.error({ err: e, method: name, correlation_id: ctx.correlationId }, 'unexpected error');
        callback(toServiceError(e));
      },
    );
  };
}

function callContext<Req, Res>(call: ServerUnaryCall<Req, Res>): CallContext {
  const raw = call.getDeadline();
  const deadline = raw instanceof Date ? raw.getTime() : raw;
  const correlationId = correlationIdFrom(call.metadata.get(CORRELATION_HEADER), () => '');
  return {
    ...(Number.isFinite(deadline) ? { deadline } : {}),
    ...(correlationId === '' ? {} : { correlationId }),
  };
}

function metricOutcome(e: unknown): MetricOutcome {
  if (!(e instanceof LedgerError)) return 'error';
  switch (e.kind) {
    case 'invalid':
      return 'invalid';
    case 'not_found':
      return 'not_found';
    case 'already_exists':
    case 'precondition':
    case 'out_of_range':
      return 'rejected';
    case 'conflict':
      return 'conflict';
    case 'unavailable':
    case 'deadline':
      return 'unavailable';
  }
}
