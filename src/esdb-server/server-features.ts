import type * as grpc from '@grpc/grpc-js';
import { featuresGrpc, featuresPb } from './generated.js';

/** The version we claim: the 23.10 protocol the 6.2 client fully supports. */
export const SERVER_VERSION = '23.10.0';

const METHODS: ReadonlyArray<{ service: string; method: string; features?: string[] }> = [
  { service: 'event_store.client.streams.streams', method: 'read', features: ['position', 'events'] },
  { service: 'event_store.client.streams.streams', method: 'append' },
  { service: 'event_store.client.streams.streams', method: 'delete' },
  { service: 'event_store.client.streams.streams', method: 'tombstone' },
  { service: 'event_store.client.streams.streams', method: 'batchappend' },
  { service: 'event_store.client.gossip.gossip', method: 'read' },
  { service: 'event_store.client.server_features.serverfeatures', method: 'getsupportedmethods' },
];

const PERSISTENT = 'event_store.client.persistent_subscriptions.persistentsubscriptions';
const PERSISTENT_METHODS: ReadonlyArray<{ method: string; features?: string[] }> = [
  { method: 'create', features: ['stream', 'all'] },
  { method: 'update', features: ['stream', 'all'] },
  { method: 'delete', features: ['stream', 'all'] },
  { method: 'read', features: ['stream', 'all'] },
  { method: 'getinfo', features: ['stream', 'all'] },
  { method: 'list', features: ['stream', 'all'] },
  { method: 'replayparked', features: ['stream', 'all'] },
  { method: 'restartsubsystem' },
];

/** ServerFeatures.GetSupportedMethods: the client picks BatchAppend etc. from this list. */
export const createServerFeaturesService = (
  withPersistent: boolean,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  const list = [
    ...METHODS,
    ...(withPersistent ? PERSISTENT_METHODS.map((m) => ({ service: PERSISTENT, ...m })) : []),
  ];
  return {
    definition: featuresGrpc.ServerFeaturesService,
    implementation: {
      getSupportedMethods: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const methods = list.map((m) =>
          new featuresPb.SupportedMethod().setServiceName(m.service).setMethodName(m.method).setFeaturesList(m.features ?? []),
        );
        callback(null, new featuresPb.SupportedMethods().setMethodsList(methods).setEventStoreServerVersion(SERVER_VERSION));
      },
    },
  };
};
