import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/**
 * Mongo did not answer (down, unreachable, failing over). The projector waits
 * and retries the batch it holds; nothing is acked or parked meanwhile.
 */
export class ReadModelUnavailable extends Error {
  override readonly name = 'ReadModelUnavailable';
  constructor(override readonly cause: unknown) {
    super(`read model store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Socket errors the driver sometimes passes on unwrapped (seen: EPIPE when the server died mid-write). */
const SOCKET_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

export function isMongoUnavailable(err: unknown): boolean {
  return (
    (err instanceof Error && SOCKET_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) ||
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    (err instanceof MongoError && (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError')))
  );
}
