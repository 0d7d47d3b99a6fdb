import * as grpc from '@grpc/grpc-js';
import type { RpcError } from '../streams/rpc-errors.js';

const withTrailers = (code: grpc.status, details: string, trailers: Record<string, string>): RpcError => {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
};

/** RpcExceptions.AccessDenied: the client's AccessDeniedError. */
export const accessDenied = (): RpcError => withTrailers(grpc.status.PERMISSION_DENIED, 'Access Denied', { exception: 'access-denied' });

/**
 * Credentials that do not name an enabled user with that password. The real
 * node answers HTTP 401 before gRPC runs, which gRPC clients read as
 * UNAUTHENTICATED (the Node client raises AccessDeniedError for it too).
 */
export const badCredentials = (): RpcError => withTrailers(grpc.status.UNAUTHENTICATED, 'Bad credentials', {});

/** RpcExceptions.LoginNotFound. */
export const loginNotFound = (login: string): RpcError =>
  withTrailers(grpc.status.NOT_FOUND, `User '${login}' is not found.`, { exception: 'user-not-found', 'login-name': login });

/** RpcExceptions.LoginConflict. */
export const loginConflict = (login: string): RpcError =>
  withTrailers(grpc.status.FAILED_PRECONDITION, 'Conflict.', { exception: 'user-conflict', 'login-name': login });

/** RpcExceptions.LoginTryAgain (a concurrent change of the same user); the real one carries the user-conflict key too. */
export const loginTryAgain = (login: string): RpcError =>
  withTrailers(grpc.status.DEADLINE_EXCEEDED, 'Try again.', { exception: 'user-conflict', 'login-name': login });
