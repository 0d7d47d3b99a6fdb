import * as grpc from '@grpc/grpc-js';

/**
 * Errors as the real server raises them (RpcExceptions): a status code plus
 * trailers whose `exception` key the client maps to its error classes.
 */
export type RpcError = grpc.ServiceError;

const rpcError = (code: grpc.status, details: string, trailers: Record<string, string>): RpcError => {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return Object.assign(new Error(details), { code, details, metadata });
};

export const wrongExpectedVersion = (streamName: string, expected: bigint, actual: bigint | undefined): RpcError =>
  rpcError(
    grpc.status.FAILED_PRECONDITION,
    `Append failed due to WrongExpectedVersion. Stream: ${streamName}, Expected version: ${expected}, Actual version: ${actual ?? -1n}`,
    {
      exception: 'wrong-expected-version',
      'stream-name': streamName,
      'expected-version': expected.toString(),
      ...(actual === undefined ? {} : { 'actual-version': actual.toString() }),
    },
  );

export const streamDeleted = (streamName: string): RpcError =>
  rpcError(grpc.status.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': streamName,
  });

export const maximumAppendSizeExceeded = (max: number): RpcError =>
  rpcError(grpc.status.INVALID_ARGUMENT, `Maximum Append Size of ${max} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(max),
  });

export const requiredMetadataPropertyMissing = (property: string): RpcError =>
  rpcError(grpc.status.INVALID_ARGUMENT, `Required Metadata Property '${property}' is missing`, {
    exception: 'missing-required-metadata-property',
    'required-metadata-properties': property,
  });

export const invalidArgument = (message: string): RpcError => rpcError(grpc.status.INVALID_ARGUMENT, message, {});

export const internal = (): RpcError => rpcError(grpc.status.INTERNAL, 'Internal error', {});

/** Thrown by request decoding; answered as INVALID_ARGUMENT. */
export class BadRequest extends Error {
  constructor(readonly rpc: RpcError) {
    super(rpc.details);
    this.name = 'BadRequest';
  }
}
