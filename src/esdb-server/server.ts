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
import { readTlsFiles } from './security/server-tls.js';
import type { Epoch } from './store/epoch.js';
import { listenSharedPort } from './http/shared-port.js';
import { createNodeHttpServer } from './http/node-endpoints.js';

export interface RunningGrpcServer {
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Serves the services on one port (TLS in secure mode), with the node's HTTP
 * endpoints on the same port as a real node. The persistent-subscriptions
 * service is optional: while it cannot be built, its methods are simply not
 * served (the client sees UNIMPLEMENTED, as from a server without it).
 */
export interface Advertised {
  /** The node's instance id (gossip, epochs). */
  readonly instanceId: string;
  /** What gossip tells clients to connect to, instead of the bind address and port. */
  readonly host?: string;
  readonly port?: number;
  /** The epoch this start wrote (HTTP gossip reports it). */
  readonly epoch: Epoch;
  /** Whether the standard projections run (`/info`'s projections feature). */
  readonly projections: boolean;
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
  const member = () =>
    ({
      instanceId: advertised.instanceId,
      timeStamp: Date.now(),
      state: 'Leader',
      isAlive: true,
      advertised: { host: advertised.host ?? host, port: advertised.port ?? boundPort },
      bound: { host, port: boundPort },
    }) as const;
  const gossip = createGossipService(member);
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
  // gRPC and HTTP share the port: grpc-js takes the HTTP/2 connections handed to it (TLS, if any, is ended first).
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const httpServer = createNodeHttpServer({
    member,
    epoch: advertised.epoch,
    headPosition: () => store.headPosition(),
    projections: advertised.projections,
    secure: secure !== undefined,
  });
  let listening: Awaited<ReturnType<typeof listenSharedPort>>;
  try {
    listening = await listenSharedPort({ host, port, grpc: injector, http: httpServer, tls: secure === undefined ? undefined : readTlsFiles(secure.tls) });
  } catch (e) {
    injector.destroy();
    await persistent?.close();
    throw e;
  }
  boundPort = listening.port;
  const stop = async (): Promise<void> => {
    const closed = listening.close();
    httpServer.closeIdleConnections();
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
    httpServer.closeAllConnections();
    await closed;
    await persistent?.close();
  };
  return { port: boundPort, stop };
};
