import { Metadata, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ANONYMOUS } from '../app/principal.js';
import { InvalidCommand, LedgerError } from '../domain/index.js';
import { CORRELATION_HEADER, correlationIdFrom, type LedgerMetrics } from '../observability/index.js';
import type { CallContext } from './command-requests.js';
import { outcomeOfError, toServiceError } from './error-status.js';
import type { CallOutcome } from '../observability/metrics.js';
import { MalformedRequest } from './service-definition.js';
import type { Authenticate } from './authentication.js';

export type UnaryDeps = {
  readonly logger: Logger;
  readonly metrics?: LedgerMetrics;
  /** Who is calling (issue 13); without it every caller is ANONYMOUS, an operator (AUTH_MODE=none). */
  readonly authenticate?: Authenticate;
};
export type UnaryAnswer<Res> = {
  readonly response: Res;
  readonly trailer?: Record<string, string>;
  /** A command answered from the stream without appending: counted as `duplicate`, not `ok`. */
  readonly duplicate?: boolean;
};
/** Which series a call is counted in: ledger_commands_total or ledger_queries_total. */
export type CallKind = 'command' | 'query';

/**
 * Adapts one async use case to a grpc-js unary handler: call context in
 * (correlation id, deadline), answer or mapped error out, each call measured.
 */
export function unaryCall<Req, Res>(
  name: string,
  kind: CallKind,
  deps: UnaryDeps,
  run: (request: Req, ctx: CallContext) => Promise<UnaryAnswer<Res>>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  const measure = (outcome: CallOutcome, seconds: number) =>
    kind === 'command' ? deps.metrics?.commandHandled(name, outcome, seconds) : deps.metrics?.queryHandled(name, outcome, seconds);
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx = callContext(call);
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const request: Req | MalformedRequest = call.request;
    // Authentication first: an unauthenticated caller learns nothing, not even what is wrong with its request.
    const principal = deps.authenticate ? deps.authenticate(call) : Promise.resolve(ANONYMOUS);
    const answer = principal.then((p) =>
      request instanceof MalformedRequest
        ? Promise.reject(new InvalidCommand([{ field: 'request', description: `not a valid ${request.typeName}: ${request.reason}` }]))
        : run(request, { ...ctx, principal: p }),
    );
    answer.then(
      ({ response, trailer, duplicate }) => {
        measure(duplicate === true ? 'duplicate' : 'ok', seconds());
        if (trailer === undefined || Object.keys(trailer).length === 0) return callback(null, response);
        const md = new Metadata();
        for (const [k, v] of Object.entries(trailer)) md.set(k, v);
        callback(null, response, md);
      },
      (e: unknown) => {
        measure(outcomeOfError(e), seconds());
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
