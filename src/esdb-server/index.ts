import { LogStore } from './store/log-store.js';
import { openFileJournal, recoverLog } from './store/file-journal.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { startGrpcServer } from './server.js';
import { writeEpochInformation } from './store/epoch.js';
import { randomUUID } from 'node:crypto';
import { resolveTls, startSecureMode, type SecureMode, type SecureModeOptions } from './security/secure-mode.js';

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
  /**
   * Run the standard projections `$by_category` and `$by_event_type` (the
   * `$ce-` and `$et-` link streams). Default false, as on the real server,
   * which runs them only when started with `--run-projections=System|All`
   * and `--start-standard-projections=true`.
   */
  readonly systemProjections?: boolean;
  /** The host gossip advertises to clients (the real node's `AdvertiseHostToClientAs`); default the bind host. */
  readonly advertiseHost?: string;
  /** The port gossip advertises to clients (the real node's `AdvertiseNodePortToClientAs`); default the bound port. */
  readonly advertisePort?: number;
  /**
   * Secure mode, as a real node without `--insecure`: TLS with the given
   * certificate (or a development CA and certificate made in a directory),
   * users (`admin` and `ops` created on a new node) and stream ACLs. Unset:
   * insecure mode (plaintext, nothing checked), the default.
   */
  readonly secure?: SecureModeOptions;
}

export interface EsdbServer {
  /** e.g. `esdb://127.0.0.1:2113?tls=false` */
  readonly connectionString: string;
  readonly port: number;
  /** Secure mode: the CA file clients trust (`tlsCAFile`), when known. */
  readonly caFile: string | undefined;
  /** Records recovered from the data dir at start, and bytes of torn tail cut off. */
  readonly recovered: { readonly records: number; readonly truncatedBytes: number };
  stop(): Promise<void>;
}

/** Starts the embedded EventStoreDB-compatible server. */
export const startEsdbServer = async (opts: EsdbServerOptions): Promise<EsdbServer> => {
  const host = opts.host ?? '127.0.0.1';
  let store: LogStore;
  let recovered = { records: 0, truncatedBytes: 0 };
  let unlock = (): void => undefined;
  if (opts.memory === true || opts.dataDir === undefined) {
    if (opts.memory !== true) throw new Error('startEsdbServer: give a dataDir, or memory: true');
    store = new LogStore({ systemProjections: opts.systemProjections ?? false });
  } else {
    unlock = lockDataDir(opts.dataDir);
    try {
      // Recover (and cut a torn tail) before the journal opens the file for appending.
      const recovering = new LogStore({ systemProjections: opts.systemProjections ?? false });
      recovered = recoverLog(opts.dataDir, (r) => recovering.restore(r), (p) => recovering.restoredAt(p));
      store = recovering.withJournal(await openFileJournal(opts.dataDir, opts.fsync ?? true));
      store.restored();
    } catch (e) {
      unlock();
      throw e;
    }
  }
  let grpcServer: Awaited<ReturnType<typeof startGrpcServer>>;
  let secure: SecureMode | undefined;
  try {
    // As a real node on becoming leader: a new epoch, so even a fresh node's $all holds a record.
    const instanceId = randomUUID();
    const epoch = await writeEpochInformation(store, instanceId);
    if (opts.secure !== undefined) secure = await startSecureMode(store, resolveTls(opts.secure, opts.advertiseHost ?? host), opts.secure);
    grpcServer = await startGrpcServer(store, host, opts.port, { instanceId, host: opts.advertiseHost, port: opts.advertisePort, epoch, projections: opts.systemProjections ?? false }, secure);
  } catch (e) {
    await store.close();
    unlock();
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    connectionString: connectionString(host, grpcServer.port, secure?.tls.caFile, opts.secure !== undefined),
    port: grpcServer.port,
    caFile: secure?.tls.caFile,
    recovered,
    stop: () => {
      stopped ??= (async () => {
        await grpcServer.stop();
        await store.close();
        unlock();
      })();
      return stopped;
    },
  };
};

const connectionString = (host: string, port: number, caFile: string | undefined, secure: boolean): string =>
  !secure
    ? `esdb://${host}:${port}?tls=false`
    : `esdb://${host}:${port}?tls=true${caFile === undefined ? '' : `&tlsCAFile=${encodeURIComponent(caFile)}`}`;
