import { LogStore } from './store/log-store.js';
import { startGrpcServer } from './server.js';

export interface EsdbServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Data directory for the durable log; required unless `memory`. */
  readonly dataDir?: string;
  /** Keep everything in memory only (tests). */
  readonly memory?: boolean;
  /** fsync before acknowledging an append (default true); off only for benchmarks. */
  readonly fsync?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
}

export interface EsdbServer {
  /** e.g. `esdb://127.0.0.1:2113?tls=false` */
  readonly connectionString: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts the embedded EventStoreDB-compatible server. */
export const startEsdbServer = async (opts: EsdbServerOptions): Promise<EsdbServer> => {
  const host = opts.host ?? '127.0.0.1';
  const store = new LogStore();
  const grpcServer = await startGrpcServer(store, host, opts.port);
  let stopped: Promise<void> | undefined;
  return {
    connectionString: `esdb://${host}:${grpcServer.port}?tls=false`,
    port: grpcServer.port,
    stop: () => {
      stopped ??= (async () => {
        await grpcServer.stop();
        await store.close();
      })();
      return stopped;
    },
  };
};
