import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEsdbServer } from './index.js';
import type { SecureModeOptions } from './security/secure-mode.js';

/**
 * `ledger-esdb [--port 2113] [--data <dir> | --memory] [--host 127.0.0.1] [--no-fsync] [--start-standard-projections]`
 * The standard projections (`$ce-`/`$et-` links) are off unless asked, as on
 * the real server (`--run-projections=System|All` with
 * `--start-standard-projections=true`, accepted here in that form too).
 * Prints the connection string once the server listens; stops cleanly on
 * SIGTERM / SIGINT (in-flight appends finish, the log is closed).
 */
interface CliOptions {
  port: number;
  host: string;
  dataDir: string | undefined;
  memory: boolean;
  fsync: boolean;
  systemProjections: boolean;
  advertiseHost: string | undefined;
  advertisePort: number | undefined;
  /** Secure mode: the node certificate files, or `devCerts` to make a development CA and certificate. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsCa: string | undefined;
  devCerts: boolean;
  devCertsDir: string | undefined;
  defaultAdminPassword: string | undefined;
  defaultOpsPassword: string | undefined;
}

const USAGE =
  'usage: ledger-esdb [--port <n>] (--data <dir> | --memory) [--host <addr>] [--no-fsync] [--start-standard-projections[=true|false]]' +
  ' [--advertise-host-to-client-as <host>] [--advertise-node-port-to-client-as <port>]' +
  ' [--insecure | --dev-certs [--dev-certs-dir <dir>] | --tls-cert <pem> --tls-key <pem> [--tls-ca <pem>]]' +
  ' [--default-admin-password <pw>] [--default-ops-password <pw>]';

const flagValue = (a: string, name: string): string | undefined => (a.startsWith(`${name}=`) ? a.slice(name.length + 1).toLowerCase() : undefined);

export const parseArgs = (argv: readonly string[]): CliOptions => {
  const o: CliOptions = { port: 2113, host: '127.0.0.1', dataDir: undefined, memory: false, fsync: true, systemProjections: false, advertiseHost: undefined, advertisePort: undefined,
    tlsCert: undefined, tlsKey: undefined, tlsCa: undefined, devCerts: false, devCertsDir: undefined, defaultAdminPassword: undefined, defaultOpsPassword: undefined };
  let projectionsSubsystem = true;
  let insecure = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--port') {
      o.port = Number(value());
      if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`bad --port\n${USAGE}`);
    } else if (a === '--data') o.dataDir = value();
    else if (a === '--memory') o.memory = true;
    else if (a === '--host') o.host = value();
    else if (a === '--advertise-host-to-client-as') o.advertiseHost = value();
    else if (a === '--advertise-node-port-to-client-as') {
      o.advertisePort = Number(value());
      if (!Number.isInteger(o.advertisePort) || o.advertisePort < 1 || o.advertisePort > 65535) throw new Error(`bad --advertise-node-port-to-client-as\n${USAGE}`);
    }
    else if (a === '--no-fsync') o.fsync = false;
    else if (a === '--insecure' || a === '--insecure=true') insecure = true;
    else if (a === '--dev-certs') o.devCerts = true;
    else if (a === '--dev-certs-dir') o.devCertsDir = value();
    else if (a === '--tls-cert') o.tlsCert = value();
    else if (a === '--tls-key') o.tlsKey = value();
    else if (a === '--tls-ca') o.tlsCa = value();
    else if (a === '--default-admin-password') o.defaultAdminPassword = value();
    else if (a === '--default-ops-password') o.defaultOpsPassword = value();
    else if (a === '--start-standard-projections' || a === '--system-projections') o.systemProjections = true;
    else if (flagValue(a, '--start-standard-projections') !== undefined) {
      const v = flagValue(a, '--start-standard-projections');
      if (v !== 'true' && v !== 'false') throw new Error(`bad --start-standard-projections\n${USAGE}`);
      o.systemProjections = v === 'true';
    } else if (flagValue(a, '--run-projections') !== undefined) {
      // The real server's switch for the projection subsystem: `none` keeps the standard projections off whatever else says.
      const v = flagValue(a, '--run-projections') as string;
      if (!['none', 'system', 'all'].includes(v)) throw new Error(`bad --run-projections\n${USAGE}`);
      projectionsSubsystem = v !== 'none';
    } else if (a === '--no-system-projections') o.systemProjections = false;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!projectionsSubsystem) o.systemProjections = false;
  const tlsGiven = o.tlsCert !== undefined || o.tlsKey !== undefined;
  if (tlsGiven && (o.tlsCert === undefined || o.tlsKey === undefined)) throw new Error(`--tls-cert and --tls-key go together\n${USAGE}`);
  if (o.tlsCa !== undefined && !tlsGiven) throw new Error(`--tls-ca needs --tls-cert and --tls-key\n${USAGE}`);
  if (tlsGiven && o.devCerts) throw new Error(`give --dev-certs or --tls-cert/--tls-key, not both\n${USAGE}`);
  if (insecure && (tlsGiven || o.devCerts)) throw new Error(`--insecure contradicts --dev-certs / --tls-cert\n${USAGE}`);
  if (o.devCertsDir !== undefined && !o.devCerts) throw new Error(`--dev-certs-dir needs --dev-certs\n${USAGE}`);
  if (!o.memory && o.dataDir === undefined) o.dataDir = './esdb-data';
  return o;
};

/** Secure mode from the flags; undefined (insecure, the default) without a certificate. */
const secureMode = (o: CliOptions, devCertsDir: string | undefined): SecureModeOptions | undefined => {
  const defaultPasswords = { admin: o.defaultAdminPassword, ops: o.defaultOpsPassword };
  if (o.tlsCert !== undefined && o.tlsKey !== undefined) return { tls: { certFile: o.tlsCert, keyFile: o.tlsKey, caFile: o.tlsCa }, defaultPasswords };
  if (!o.devCerts || devCertsDir === undefined) return undefined;
  return { tls: { devCertsDir }, defaultPasswords };
};

/**
 * Where --dev-certs keeps its CA: the given folder, `<data>/certs` (reused
 * across restarts), or for a memory-only node a temp folder that is removed
 * when the node stops, since no later run can reuse it.
 */
const devCertsFolder = (o: CliOptions): { dir: string; temporary: boolean } | undefined => {
  if (!o.devCerts) return undefined;
  if (o.devCertsDir !== undefined) return { dir: o.devCertsDir, temporary: false };
  if (!o.memory && o.dataDir !== undefined) return { dir: join(o.dataDir, 'certs'), temporary: false };
  return { dir: mkdtempSync(join(tmpdir(), 'ledger-esdb-certs-')), temporary: true };
};

export const main = async (argv: readonly string[]): Promise<void> => {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const t0 = Date.now();
  const certs = devCertsFolder(opts);
  const removeTemporaryCerts = (): void => {
    if (certs?.temporary === true) rmSync(certs.dir, { recursive: true, force: true });
  };
  let server: Awaited<ReturnType<typeof startEsdbServer>>;
  try {
    server = await startEsdbServer({
      port: opts.port,
      host: opts.host,
      memory: opts.memory,
      dataDir: opts.memory ? undefined : opts.dataDir,
      fsync: opts.fsync,
      systemProjections: opts.systemProjections,
      advertiseHost: opts.advertiseHost,
      advertisePort: opts.advertisePort,
      secure: secureMode(opts, certs?.dir),
    });
  } catch (e) {
    // A damaged log, a locked data dir, a port in use: say what, and stop.
    process.stderr.write(`ledger-esdb: ${(e as Error).message}\n`);
    removeTemporaryCerts();
    process.exit(1);
  }
  process.stderr.write(
    `ledger-esdb: ${opts.memory ? 'memory only' : `data ${opts.dataDir}`}, ${server.recovered.records} records recovered` +
      `${server.recovered.truncatedBytes > 0 ? `, ${server.recovered.truncatedBytes} torn bytes cut` : ''}, ready in ${Date.now() - t0} ms\n`,
  );
  if (server.caFile !== undefined) process.stderr.write(`ledger-esdb: secure mode, clients trust the CA in ${server.caFile}\n`);
  process.stdout.write(`${server.connectionString}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => {
        removeTemporaryCerts();
        process.exit(0);
      },
      () => {
        removeTemporaryCerts();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};
