import * as grpc from '@grpc/grpc-js';
import type { EventLog } from '../store/types.js';

/**
 * The persistent subscriptions gRPC service (event_store.client.persistent_subscriptions).
 * server.ts registers `definition` + `implementation`, calls start() before
 * listening and close() on stop.
 */
export interface PersistentSubscriptionsService {
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Loads persisted group settings and checkpoints from the log. */
  start(): Promise<void>;
  close(): Promise<void>;
}

// Placeholder until the persistent-subscription engine lands (issue 3, item 6):
// every call answers UNIMPLEMENTED, as a server without the feature would.
export function createPersistentSubscriptionsService(_log: EventLog): PersistentSubscriptionsService {
  throw new Error('persistent subscriptions: not implemented yet');
}
