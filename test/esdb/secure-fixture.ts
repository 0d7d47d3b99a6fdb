/**
 * A secure-mode server (TLS with a development CA, users, ACLs) and clients
 * on it as given users, for the secure-mode tests (not a test file itself).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EventStoreDBClient } from '@eventstore/db-client';
import usersGrpc from '@eventstore/db-client/generated/users_grpc_pb.js';
import usersPb from '@eventstore/db-client/generated/users_pb.js';
import { startEsdbServer, type EsdbServer, type EsdbServerOptions } from '../../src/esdb-server/index.js';

export interface SecureFixture {
  readonly server: EsdbServer;
  readonly caFile: string;
  /** A client authenticated as `username` through the connection string; none: anonymous. */
  clientAs(username?: string, password?: string): EventStoreDBClient;
  /** The generated Users service client over TLS; credentials go per call (`basic`). */
  readonly users: UsersClient;
  close(): Promise<void>;
}

/** Per-call credentials for a generated client, as the real clients send them. */
export const basic = (username: string, password: string): grpc.CallCredentials =>
  grpc.credentials.createFromMetadataGenerator((_params, callback) => {
    const m = new grpc.Metadata();
    m.set('authorization', `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
    callback(null, m);
  });

/** `dataDir` undefined: memory only; certificates go to `certsDir` (default a fresh temporary directory). */
export const startSecureFixture = async (opts: { dataDir?: string; certsDir?: string; extra?: Partial<EsdbServerOptions> } = {}): Promise<SecureFixture> => {
  const ownCerts = opts.certsDir === undefined ? mkdtempSync(join(tmpdir(), 'ledger-esdb-certs-')) : undefined;
  const certsDir = opts.certsDir ?? (ownCerts as string);
  const storage = opts.dataDir === undefined ? { memory: true } : { dataDir: opts.dataDir };
  const server = await startEsdbServer({ port: 0, ...storage, secure: { tls: { devCertsDir: certsDir } }, ...opts.extra });
  const caFile = server.caFile ?? join(certsDir, 'ca.crt');
  const clients: EventStoreDBClient[] = [];
  const users = usersClient(server.port, caFile);
  return {
    server,
    caFile,
    users,
    clientAs: (username, password = 'changeit') => {
      const auth = username === undefined ? '' : `${encodeURIComponent(username)}:${encodeURIComponent(password)}@`;
      const client = EventStoreDBClient.connectionString(server.connectionString.replace('esdb://', `esdb://${auth}`));
      clients.push(client);
      return client;
    },
    close: async () => {
      users.close();
      await Promise.all(clients.map((c) => c.dispose()));
      await server.stop();
      if (ownCerts !== undefined) rmSync(ownCerts, { recursive: true, force: true });
    },
  };
};

/** The error a promise rejects with (a test fails if it resolves). */
export const rejection = async (p: Promise<unknown>): Promise<Error> =>
  p.then(
    () => {
      throw new Error('expected a refusal, got a success');
    },
    (e: unknown) => e as Error,
  );

/** The error a subscription ends with; fails the test if it delivers an event or says nothing for `ms`. */
export const subscriptionRefusal = (sub: NodeJS.EventEmitter, ms = 5_000): Promise<Error> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no refusal within ${ms} ms`)), ms);
    sub.once('error', (e: Error) => {
      clearTimeout(timer);
      resolve(e);
    });
    sub.once('data', () => {
      clearTimeout(timer);
      reject(new Error('expected a refusal, got an event'));
    });
  });

export type UsersClient = InstanceType<typeof usersGrpc.UsersClient>;

/** The generated Users client of a secure node at `127.0.0.1:port`, trusting `caFile`. */
export const usersClient = (port: number, caFile: string): UsersClient =>
  new usersGrpc.UsersClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(caFile)));

/** Creates a user through the Users service as admin (default password). */
export const createUser = (users: UsersClient, login: string, password: string, groups: string[] = []): Promise<void> =>
  new Promise((resolve, reject) =>
    users.create(
      new usersPb.CreateReq().setOptions(new usersPb.CreateReq.Options().setLoginName(login).setPassword(password).setFullName(login).setGroupsList(groups)),
      new grpc.Metadata(),
      { credentials: basic('admin', 'changeit') },
      (e) => (e ? reject(e) : resolve()),
    ),
  );
