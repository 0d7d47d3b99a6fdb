import { ReadModelUnavailable } from './read-model-unavailable.js';

/** A Mongo call that did not answer within its deadline. */
export class MongoDeadlineExceeded extends Error {
  override readonly name = 'MongoDeadlineExceeded';
  constructor(readonly operation: string, readonly deadlineMs: number) {
    super(`${operation} did not answer within ${deadlineMs} ms`);
  }
}

/**
 * Runs a Mongo call with a deadline. A server that never answers (FerretDB
 * 1.24 on 100+ filtered updates in one bulkWrite) fails the call as
 * ReadModelUnavailable: the projector then holds its batch and retries with
 * back-off, and a rebuild stops, instead of both hanging. The late answer, if
 * any, is ignored; the driver's socketTimeoutMS closes the stuck connection.
 */
export async function withDeadline<T>(operation: string, deadlineMs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadModelUnavailable(new MongoDeadlineExceeded(operation, deadlineMs))), deadlineMs);
  });
  const running = call();
  running.catch(() => {}); // a late failure after the deadline is not unhandled
  try {
    return await Promise.race([running, expired]);
  } finally {
    clearTimeout(timer);
  }
}
