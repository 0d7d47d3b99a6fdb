import type { StreamStore } from '../store/stream-store.js';
import { CallAuthority } from './call-authority.js';
import { ensureDevCertificates } from './dev-certs.js';
import type { TlsFiles } from './server-tls.js';
import { StreamAccessPolicy } from './stream-acl.js';
import { UserAccounts, type DefaultPasswords } from './user-accounts.js';

/**
 * How a secure node is set up: its certificate (given, or a development CA
 * and certificate made in a directory) and the passwords the default users
 * get when they are first created (the real node's DefaultAdminPassword /
 * DefaultOpsPassword, `changeit` unless set).
 */
export interface SecureModeOptions {
  readonly tls: TlsFiles | { readonly devCertsDir: string };
  readonly defaultPasswords?: Partial<DefaultPasswords>;
}

export interface SecureMode {
  readonly tls: TlsFiles;
  readonly authority: CallAuthority;
}

export const DEFAULT_PASSWORD = 'changeit';

export const resolveTls = (opts: SecureModeOptions, host: string): TlsFiles =>
  'devCertsDir' in opts.tls ? ensureDevCertificates(opts.tls.devCertsDir, host) : opts.tls;

/** Loads the users (creating `admin` and `ops` on a new node) and the ACL policy over the store. */
export const startSecureMode = async (store: StreamStore, tls: TlsFiles, opts: SecureModeOptions): Promise<SecureMode> => {
  const accounts = new UserAccounts(store);
  await accounts.start({ admin: opts.defaultPasswords?.admin ?? DEFAULT_PASSWORD, ops: opts.defaultPasswords?.ops ?? DEFAULT_PASSWORD });
  return { tls, authority: new CallAuthority(accounts, new StreamAccessPolicy(store)) };
};
