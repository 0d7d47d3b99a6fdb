import { ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js';
import { secondsSince, type CallOutcome, type LedgerMetrics } from './metrics.js';

/** The gRPC status of an answer, as a command outcome label (STYLE.md §3's table, read backwards). */
export function outcomeOfStatus(code: status): CallOutcome {
  switch (code) {
    case status.OK: return 'ok';
    case status.INVALID_ARGUMENT:
    case status.OUT_OF_RANGE:
    case status.UNAUTHENTICATED:
    case status.PERMISSION_DENIED: return 'invalid';
    case status.FAILED_PRECONDITION:
    case status.ALREADY_EXISTS: return 'rejected';
    case status.NOT_FOUND: return 'not_found';
    case status.ABORTED: return 'conflict';
    case status.UNAVAILABLE:
    case status.DEADLINE_EXCEEDED:
    case status.CANCELLED:
    case status.RESOURCE_EXHAUSTED: return 'unavailable';
    default: return 'error';
  }
}

/**
 * Counts and times every call of one gRPC service (by default the public
 * AccountCommands) by method and answer status, without touching the
 * handlers: pass it in the grpc-js Server's `interceptors` option.
 */
export function commandMetricsInterceptor(metrics: LedgerMetrics, service = 'ledger.v1.AccountCommands'): ServerInterceptor {
  const prefix = `/${service}/`;
  return (method, call) => {
    if (!method.path.startsWith(prefix)) return new ServerInterceptingCall(call);
    const commandType = method.path.slice(prefix.length);
    const started = process.hrtime.bigint();
    let recorded = false;
    const record = (code: status): void => {
      if (recorded) return;
      recorded = true;
      metrics.commandHandled(commandType, outcomeOfStatus(code), secondsSince(started));
    };
    return new ServerInterceptingCall(call, {
      // A client that gives up never gets a status; count it as cancelled.
      start: (next) => next({ onCancel: () => record(status.CANCELLED) }),
      sendStatus: (answer, next) => { record(answer.code); next(answer); },
    });
  };
}
