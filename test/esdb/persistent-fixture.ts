/**
 * Shared fixture for the persistent-subscription tests (not a test file
 * itself: no tier in its name, so vitest does not collect it).
 */
import { randomUUID } from 'node:crypto';
import {
  connect,
  jsonEvent,
  type EventStoreDBClient,
  type PersistentSubscriptionToAll,
  type PersistentSubscriptionToAllResolvedEvent,
  type PersistentSubscriptionToStream,
  type PersistentSubscriptionToStreamResolvedEvent,
} from './client-under-test.js';
import { startServerUnderTest, type ServerUnderTest, type ServerUnderTestOptions } from './server-under-test.js';

export interface Running {
  readonly server: ServerUnderTest;
  readonly client: EventStoreDBClient;
  stop(): Promise<void>;
}

/** A server (memory only unless `dataDir`) and a client of the package under test on it. */
export async function startServer(opts: ServerUnderTestOptions = {}): Promise<Running> {
  const server = await startServerUnderTest(opts);
  const client = connect(server.connectionString);
  return {
    server,
    client,
    async stop() {
      await client.dispose();
      await server.stop();
    },
  };
}

/** A fresh stream name per test so tests sharing a server never see each other's events. */
export const uniqueStream = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function appendNumbered(client: EventStoreDBClient, stream: string, count: number, type = 'Numbered', from = 0): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => jsonEvent({ type, data: { n: from + i } }));
  await client.appendToStream(stream, events);
}

type Subscription = PersistentSubscriptionToStream | PersistentSubscriptionToAll;
/** What a persistent subscription hands out: the event, its link, and the retry count. */
export type Delivery = PersistentSubscriptionToStreamResolvedEvent | PersistentSubscriptionToAllResolvedEvent;

/**
 * Reads deliveries until `count` arrived (or the time runs out), calling
 * `handle` on each so the test decides ack / nack.
 */
export function collect(
  sub: Subscription,
  count: number,
  handle: (e: Delivery) => Promise<void> | void,
  timeoutMs = 5_000,
): Promise<Delivery[]> {
  const seen: Delivery[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.off('data', onData);
      reject(new Error(`timed out after ${seen.length}/${count} deliveries`));
    }, timeoutMs);
    const onData = (e: Delivery): void => {
      seen.push(e);
      void Promise.resolve(handle(e)).then(() => {
        if (seen.length === count) {
          clearTimeout(timer);
          sub.off('data', onData);
          resolve(seen);
        }
      }, reject);
    };
    sub.on('data', onData);
  });
}

/** Polls until `check` returns a value, for state the server reaches asynchronously. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The error a subscription ends with. */
export function failureOf(sub: Subscription, timeoutMs = 5_000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('subscription did not fail')), timeoutMs);
    sub.once('error', (err: Error) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

export const numberOf = (e: Delivery): number => (e.event?.data as { n: number }).n;
