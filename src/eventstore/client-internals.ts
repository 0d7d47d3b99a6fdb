import type { EventStoreDBClient } from '@eventstore/db-client';
import type { CallOptions, Metadata } from '@grpc/grpc-js';

/**
 * The client's channel, credentials and stream bookkeeping, protected in
 * @eventstore/db-client 6.x. The lean paths (rebuild and persistent
 * subscriptions, batch-appender.ts, stream-reader.ts) open their calls
 * through them, so connection discovery, TLS, credentials, reconnection and
 * disposal stay the client's.
 */
export type ClientInternals = {
  GRPCStreamCreator<C, T>(Client: new (...args: never[]) => C, debugName: string, creator: (client: C) => T | Promise<T>): () => Promise<T>;
  callArguments(options: Record<string, never>, callOptions: CallOptions): [Metadata, CallOptions];
};

/** Throws, naming what is missing, when the installed client no longer has them (a major upgrade). */
export function internalsOf(client: EventStoreDBClient): ClientInternals {
  const c = client as unknown as Partial<ClientInternals>;
  if (typeof c.GRPCStreamCreator !== 'function' || typeof c.callArguments !== 'function') {
    throw new Error('this @eventstore/db-client has no GRPCStreamCreator/callArguments: the lean event-store readers and appender need 6.x');
  }
  return c as ClientInternals;
}
