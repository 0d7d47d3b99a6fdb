import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { describe, expect, test } from 'vitest';
import { DeadlineExceeded, StoreUnavailable } from '../../src/app/index.js';
import {
  AccountAlreadyExists,
  AccountIsClosed,
  AccountNotEmpty,
  AccountNotFound,
  CurrencyMismatch,
  InsufficientFunds,
  InvalidCommand,
  RevisionConflict,
  RevisionNotReached,
} from '../../src/domain/index.js';
import { outcomeOfError, toServiceError } from '../../src/grpc/error-status.js';
import { IdempotencyKeyReused } from '../../src/app/errors.js';
import { ReadModelBehind } from '../../src/readmodels/read-model-behind.js';
import { BadRequestSchema, ErrorInfoSchema } from '../../src/grpc/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../src/grpc/gen/google/rpc/status_pb.js';

const detailsOf = (e: unknown) => {
  const s = toServiceError(e);
  const raw = s.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) throw new Error('no grpc-status-details-bin');
  const body = fromBinary(StatusSchema, raw);
  return { code: s.code, body, info: body.details.map((d) => anyUnpack(d, ErrorInfoSchema)).find(Boolean), bad: body.details.map((d) => anyUnpack(d, BadRequestSchema)).find(Boolean) };
};

describe('error kinds map to one status each, with rich details', () => {
  test.each([
    [new AccountNotFound('a'), status.NOT_FOUND, 'ACCOUNT_NOT_FOUND'],
    [new AccountAlreadyExists('a'), status.ALREADY_EXISTS, 'ACCOUNT_ALREADY_EXISTS'],
    [new InsufficientFunds(5n, 10n), status.FAILED_PRECONDITION, 'INSUFFICIENT_FUNDS'],
    [new AccountIsClosed('a'), status.FAILED_PRECONDITION, 'ACCOUNT_CLOSED'],
    [new AccountNotEmpty(3n), status.FAILED_PRECONDITION, 'ACCOUNT_NOT_EMPTY'],
    [new CurrencyMismatch('EUR', 'USD'), status.FAILED_PRECONDITION, 'CURRENCY_MISMATCH'],
    [new RevisionConflict(2n, 7n), status.ABORTED, 'REVISION_CONFLICT'],
    [new RevisionNotReached(9n, 1n), status.OUT_OF_RANGE, 'REVISION_NOT_REACHED'],
    [new StoreUnavailable('down'), status.UNAVAILABLE, 'STORE_UNAVAILABLE'],
    [new DeadlineExceeded(), status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED'],
  ])('%s', (error, code, reason) => {
    const d = detailsOf(error);
    expect(d.code).toBe(code);
    expect(d.body.code).toBe(code);
    expect(d.info).toMatchObject({ reason, domain: 'ledger.v1' });
  });

  test('a conflict reports the actual revision in the ErrorInfo metadata', () =>
    expect(detailsOf(new RevisionConflict(2n, 7n)).info?.metadata).toEqual({ expected_revision: '2', actual_revision: '7' }));

  test('invalid input names each field in a BadRequest', () => {
    const d = detailsOf(new InvalidCommand([{ field: 'amount', description: 'must be greater than zero' }, { field: 'currency', description: 'is required' }]));
    expect(d.code).toBe(status.INVALID_ARGUMENT);
    expect(d.bad?.fieldViolations.map((v) => [v.field, v.description])).toEqual([
      ['amount', 'must be greater than zero'],
      ['currency', 'is required'],
    ]);
  });

  test('anything else is INTERNAL and tells the client nothing', () => {
    const d = detailsOf(new TypeError('secret detail'));
    expect(d.code).toBe(status.INTERNAL);
    expect(d.body.message).toBe('internal error');
    expect(d.body.details).toEqual([]);
  });
});

describe('the metrics outcome label of a failed call says what happened (issue 12)', () => {
  test.each([
    [new InvalidCommand([{ field: 'amount', description: 'must be greater than zero' }]), 'invalid'],
    [new InsufficientFunds(1n, 2n), 'insufficient_funds'],
    [new AccountIsClosed('a'), 'account_closed'],
    [new AccountNotFound('a'), 'account_not_found'],
    [new AccountAlreadyExists('a'), 'account_already_exists'],
    [new RevisionConflict(1n, 2n), 'revision_conflict'],
    [new RevisionNotReached(9n, 1n), 'revision_not_reached'],
    [new IdempotencyKeyReused('c', 'Deposit', 'Withdraw'), 'idempotency_key_reused'],
    // READ_MODEL_BEHIND counted as "unavailable" before: the read model is up, only behind.
    [new ReadModelBehind('a', 3n, 1n), 'read_model_behind'],
    [new DeadlineExceeded(), 'deadline_exceeded'],
    [new StoreUnavailable('down'), 'unavailable'],
    [new TypeError('a bug'), 'internal'],
  ])('%s is %s', (error, outcome) => expect(outcomeOfError(error)).toBe(outcome));
});

describe('no secret in an error answer (issue 13)', () => {
  test('a driver message quoting a URL with a password or a bearer token is answered without them', () => {
    const answer = toServiceError(new StoreUnavailable('cannot reach esdb://admin:hunter2-pw@esdb:2113 (sent Bearer abc.def.ghi)'));
    expect(answer.details).toContain('esdb://admin:[redacted]@esdb:2113');
    expect(answer.details).not.toMatch(/hunter2-pw|abc\.def\.ghi/);
  });
});
