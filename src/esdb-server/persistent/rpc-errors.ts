import * as grpc from '@grpc/grpc-js';

/** A status the handlers answer with; grpc-js sends code, details and trailers. */
export interface RpcError {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

function rpcError(code: grpc.status, details: string, trailers: Record<string, string>): RpcError {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return { code, details, metadata };
}

// Codes, messages and trailers as RpcExceptions.cs in the real server; the
// client picks its error class from the `exception` trailer.

export const subscriptionExists = (stream: string, group: string): RpcError =>
  rpcError(grpc.status.ALREADY_EXISTS, `Subscription group ${group} on stream ${stream} exists.`, {
    exception: 'persistent-subscription-exists',
    'stream-name': stream,
    'group-name': group,
  });

export const subscriptionDoesNotExist = (stream: string, group: string): RpcError =>
  rpcError(grpc.status.NOT_FOUND, `Subscription group ${group} on stream ${stream} does not exist.`, {
    exception: 'persistent-subscription-does-not-exist',
    'stream-name': stream,
    'group-name': group,
  });

export const subscriptionFailed = (stream: string, group: string, reason: string): RpcError =>
  rpcError(grpc.status.INTERNAL, `Subscription group ${group} on stream ${stream} failed: '${reason}'`, {
    exception: 'persistent-subscription-failed',
    'stream-name': stream,
    'group-name': group,
    reason,
  });

export const maximumSubscribersReached = (stream: string, group: string): RpcError =>
  rpcError(grpc.status.FAILED_PRECONDITION, `Maximum subscriptions reached for subscription group ${group} on stream ${stream}.`, {
    exception: 'maximum-subscribers-reached',
    'stream-name': stream,
    'group-name': group,
  });

export const subscriptionDropped = (stream: string, group: string): RpcError =>
  rpcError(grpc.status.CANCELLED, `Subscription group ${group} on stream ${stream} was dropped.`, {
    exception: 'persistent-subscription-dropped',
    'stream-name': stream,
    'group-name': group,
  });

/** A request the server cannot make sense of (the real server's InvalidArgument / InvalidCombination). */
export const invalidArgument = (details: string): RpcError => rpcError(grpc.status.INVALID_ARGUMENT, details, {});

export const internal = (): RpcError => rpcError(grpc.status.INTERNAL, 'Internal error', {});
