import type * as grpc from '@grpc/grpc-js';
import type { EventLog } from '../store/types.js';
import { adminCalls } from './admin-calls.js';
import { GroupRegistry } from './group-registry.js';
import { persistentServiceDefinition } from './proto.js';
import { decodeReadRequest, encodeReadResponse, readCall } from './read-call.js';

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

export function createPersistentSubscriptionsService(log: EventLog): PersistentSubscriptionsService {
  const registry = new GroupRegistry(log);
  const base = persistentServiceDefinition;
  // Read: acks and nacks are decoded, and deliveries encoded, without google-protobuf (read-call.ts).
  const definition: grpc.ServiceDefinition = {
    ...base,
    read: { ...base.read, requestDeserialize: decodeReadRequest(base.read.requestDeserialize), responseSerialize: encodeReadResponse(base.read.responseSerialize) },
  };
  return {
    definition,
    implementation: { ...adminCalls(log, registry), read: readCall(registry) },
    start: () => registry.start(),
    close: () => registry.close(),
  };
}
