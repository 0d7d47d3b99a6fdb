import * as grpc from '@grpc/grpc-js';
import { createPersistentSubscriptionsService, type PersistentSubscriptionsService } from './persistent/index.js';
import type { StreamStore } from './store/stream-store.js';
import { createStreamsService } from './streams/service.js';
import { createServerFeaturesService } from './server-features.js';
import { createGossipService } from './gossip.js';
import type { SecureMode } from './security/secure-mode.js';
import { guardStreams } from './security/guarded-streams.js';
import { guardPersistent } from './security/guarded-persistent.js';
import { createUsersService } from './security/users-service.js';
import { serverCredentials } from './security/server-tls.js';

export interface RunningGrpcServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Binds the services on one port (TLS in secure mode). The persistent-subscriptions
 * service is optional: while it cannot be built, its methods are simply not
 * served (the client sees UNIMPLEMENTED, as from a server without it).
 */
export interface Advertised {
  /** The node's instance id (gossip, epochs). */
  readonly instanceId: string;
  /** What gossip tells clients to connect to, instead of the bind address and port. */
  readonly host?: string;
  readonly port?: number;
}

/** `secure` undefined: insecure mode (plaintext, no credentials checked, services unwrapped, so it costs nothing per call). */
export const startGrpcServer = async (
  store: StreamStore,
  host: string,
  port: number,
  advertised: Advertised,
  secure?: SecureMode,
): Promise<RunningGrpcServer> => {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
  });
  let boundPort = port;
  let persistent: PersistentSubscriptionsService | undefined;
  try {
    persistent = createPersistentSubscriptionsService(store);
    await persistent.start();
  } catch {
    persistent = undefined;
  }
  const streams = createStreamsService(store);
  const features = createServerFeaturesService(persistent !== undefined);
  const gossip = createGossipService(() => ({ host: advertised.host ?? host, port: advertised.port ?? boundPort }), advertised.instanceId);
  const authority = secure?.authority;
  server.addService(streams.definition, authority === undefined ? streams.implementation : guardStreams(streams.implementation, authority));
  server.addService(features.definition, features.implementation);
  server.addService(gossip.definition, gossip.implementation);
  if (persistent !== undefined)
    server.addService(persistent.definition, authority === undefined ? persistent.implementation : guardPersistent(persistent.implementation, authority));
  if (authority !== undefined) {
    const users = createUsersService(authority);
    server.addService(users.definition, users.implementation);
  }
  const credentials = secure === undefined ? grpc.ServerCredentials.createInsecure() : serverCredentials(secure.tls);
  boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  const stop = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2_000);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await persistent?.close();
  };
  return { port: boundPort, stop };
};
