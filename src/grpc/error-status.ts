import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { Metadata, status, type ServerErrorResponse } from '@grpc/grpc-js';
import { LedgerError, InvalidCommand, type ErrorKind } from '../domain/index.js';
import { BadRequestSchema, ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { StatusSchema } from './gen/google/rpc/status_pb.js';
import type { CallOutcome } from '../observability/metrics.js';
import { secretRedactor } from '../observability/secret-redaction.js';

/** ErrorInfo.domain of every error Ledger reports. */
export const ERROR_DOMAIN = 'ledger.v1';

/** A refusal's message may quote a driver's error: no URL password or token leaves in an answer (issue 13). */
const redact = secretRedactor();

/** The one table from error kind to gRPC status (STYLE.md §3). */
const statusOf: Record<ErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  precondition: status.FAILED_PRECONDITION,
  out_of_range: status.OUT_OF_RANGE,
  conflict: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  deadline: status.DEADLINE_EXCEEDED,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
};

/**
 * An error → the status the client sees, with google.rpc.Status in
 * `grpc-status-details-bin`: BadRequest field violations for invalid input,
 * ErrorInfo (reason, domain, metadata) otherwise. Anything that is not a
 * LedgerError is a bug: INTERNAL, no details (the caller logs it).
 */
export function toServiceError(e: unknown): ServerErrorResponse & { code: status } {
  if (!(e instanceof LedgerError)) return withDetails(status.INTERNAL, 'internal error', []);
  const details: Any[] =
    e instanceof InvalidCommand
      ? [anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: e.violations.map((v) => ({ ...v })) }))]
      : [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: e.reason, domain: ERROR_DOMAIN, metadata: { ...e.details } }))];
  return withDetails(statusOf[e.kind], redact(e.message), details);
}

/**
 * The metrics' outcome label of a failed call (src/observability/metrics.ts,
 * CallOutcome): `invalid`, `unavailable` for an unreachable store or read
 * model, `internal` for a bug, and otherwise the refusal's own reason, so a
 * dashboard tells an overdraft from a conflict or a read model that is behind.
 */
export function outcomeOfError(e: unknown): CallOutcome {
  if (!(e instanceof LedgerError)) return 'internal';
  if (e.kind === 'invalid') return 'invalid';
  if (e.kind === 'unavailable' && e.reason.endsWith('_UNAVAILABLE')) return 'unavailable';
  return e.reason.toLowerCase();
}

function withDetails(code: status, message: string, details: Any[]): ServerErrorResponse & { code: status } {
  const metadata = new Metadata();
  const body = create(StatusSchema, { code, message, details });
  metadata.set('grpc-status-details-bin', Buffer.from(toBinary(StatusSchema, body)));
  return { name: 'ServiceError', message, code, details: message, metadata };
}
