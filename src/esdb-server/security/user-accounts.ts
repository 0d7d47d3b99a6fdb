import { createHash, randomUUID } from 'node:crypto';
import type { StreamStore } from '../store/stream-store.js';
import type { ExpectedRevision, ProposedEvent } from '../store/types.js';
import type { BasicCredentials } from './basic-credentials.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import { ADMINS, OPS, type Principal } from './principal.js';

/** A user as the real server keeps it: the last event of `$user-<login>`, camelCase JSON. */
export interface UserData {
  readonly loginName: string;
  readonly fullName: string;
  readonly groups: readonly string[];
  readonly hash: string;
  readonly salt: string;
  readonly disabled: boolean;
}

export interface UserDetails {
  readonly loginName: string;
  readonly fullName: string;
  readonly groups: readonly string[];
  readonly disabled: boolean;
  /** 100 ns ticks since the Unix epoch of the user's last change. */
  readonly lastUpdated: bigint;
}

/** The outcomes the real UserManagementService answers with. */
export type UserChange = 'ok' | 'not_found' | 'conflict' | 'unauthorized' | 'try_again';

export interface DefaultPasswords {
  readonly admin: string;
  readonly ops: string;
}

const JSON_TYPE = 'application/json';
const USERS_STREAM = '$users';
const userStream = (login: string): string => `$user-${login}`;
const json = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));
const event = (type: string, data: Uint8Array, contentType = JSON_TYPE): ProposedEvent => ({
  eventId: randomUUID(),
  type,
  contentType,
  data,
  metadata: new Uint8Array(0),
});

// Most verified credentials kept; verifying costs a key derivation, so a
// client sending the same credentials on every call pays it once.
const CACHE_LIMIT = 1_000;

/**
 * Users stored in the log as the real server stores them: `$UserCreated` /
 * `$UserUpdated` events in `$user-<login>` (its metadata ACL: admins write,
 * delete and change it), a `$User` event naming the login in `$users`, and a
 * soft delete of `$user-<login>` for a deleted user. So users survive a
 * restart, and an admin sees them by reading those streams.
 */
export class UserAccounts {
  private readonly verified = new Map<string, Principal>();
  private readonly verifying = new Map<string, Promise<Principal | undefined>>();
  private generation = 0;

  constructor(private readonly store: StreamStore) {}

  /** Creates `admin` (`$admins`) and `ops` (`$ops`) when absent, as a real node does when it becomes leader. */
  async start(defaults: DefaultPasswords): Promise<void> {
    if (this.read('admin') === undefined) await this.create('admin', 'Event Store Administrator', [ADMINS], defaults.admin);
    if (this.read('ops') === undefined) await this.create('ops', 'Event Store Operations', [OPS], defaults.ops);
  }

  /** The principal for valid credentials of an enabled user, else undefined. */
  authenticate(credentials: BasicCredentials): Promise<Principal | undefined> {
    // Keyed by a digest, so the caches hold no password in clear.
    const key = createHash('sha256').update(`${credentials.username}\u0000${credentials.password}`).digest('base64');
    const known = this.verified.get(key);
    if (known !== undefined) return Promise.resolve(known);
    // Calls arriving together with the same new credentials (a client's first burst) share one key derivation.
    let pending = this.verifying.get(key);
    if (pending === undefined) {
      pending = this.verify(credentials, key).finally(() => this.verifying.delete(key));
      this.verifying.set(key, pending);
    }
    return pending;
  }

  private async verify(credentials: BasicCredentials, key: string): Promise<Principal | undefined> {
    const generation = this.generation;
    const user = this.read(credentials.username)?.data;
    if (user === undefined || user.disabled) return undefined;
    if (!(await verifyPassword(credentials.password, user.hash, user.salt))) return undefined;
    const principal: Principal = { name: user.loginName, groups: [...user.groups] };
    // A user changed while the key was derived: answer this call, but remember nothing.
    if (generation !== this.generation) return principal;
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(key, principal);
    return principal;
  }

  /** Whatever changed (password, groups, enabled, deleted), credentials verified before no longer stand. */
  private forgetVerified(): void {
    this.generation++;
    this.verified.clear();
    this.verifying.clear();
  }

  details(login: string): UserDetails | undefined {
    const found = this.read(login);
    if (found === undefined) return undefined;
    const { data, lastUpdated } = found;
    return { loginName: data.loginName, fullName: data.fullName, groups: data.groups, disabled: data.disabled, lastUpdated };
  }

  /** Every user named in `$users` that still exists, by login name. */
  list(): UserDetails[] {
    const logins = new Set<string>();
    const r = this.store.readStream(USERS_STREAM, { direction: 'forwards', from: 'start', maxCount: BigInt(Number.MAX_SAFE_INTEGER), resolveLinks: false });
    if (r.kind === 'ok') for (const e of r.events) if (e.event !== undefined) logins.add(Buffer.from(e.event.data).toString('utf8'));
    return [...logins]
      .sort()
      .map((l) => this.details(l))
      .filter((d): d is UserDetails => d !== undefined);
  }

  /** As the real server: creating an existing user with the same password is a success, with another a conflict. */
  async create(login: string, fullName: string, groups: readonly string[], password: string): Promise<UserChange> {
    const existing = this.read(login);
    if (existing !== undefined) return (await verifyPassword(password, existing.data.hash, existing.data.salt)) ? 'ok' : 'conflict';
    const meta = { $acl: { $w: ADMINS, $d: ADMINS, $mw: ADMINS } };
    await this.store.append(`$$${userStream(login)}`, [event('$metadata', json(meta))], { kind: 'any' });
    const data: UserData = { loginName: login, fullName, groups: [...groups], ...(await hashPassword(password)), disabled: false };
    const written = await this.write(login, '$UserCreated', data, { kind: 'any' });
    if (written !== 'ok') return written;
    await this.store.append(USERS_STREAM, [event('$User', new Uint8Array(Buffer.from(login, 'utf8')), 'application/octet-stream')], { kind: 'any' });
    return 'ok';
  }

  update(login: string, fullName: string, groups: readonly string[]): Promise<UserChange> {
    return this.change(login, (d) => ({ ...d, fullName, groups: [...groups] }));
  }

  setDisabled(login: string, disabled: boolean): Promise<UserChange> {
    return this.change(login, (d) => ({ ...d, disabled }));
  }

  async resetPassword(login: string, newPassword: string): Promise<UserChange> {
    const hashed = await hashPassword(newPassword);
    return this.change(login, (d) => ({ ...d, ...hashed }));
  }

  async changePassword(login: string, currentPassword: string, newPassword: string): Promise<UserChange> {
    const found = this.read(login);
    if (found === undefined) return 'not_found';
    if (!(await verifyPassword(currentPassword, found.data.hash, found.data.salt))) return 'unauthorized';
    return this.resetPassword(login, newPassword);
  }

  async delete(login: string): Promise<UserChange> {
    const found = this.read(login);
    if (found === undefined) return 'not_found';
    const r = await this.store.deleteStream(userStream(login), { kind: 'exact', revision: found.revision }, false);
    this.forgetVerified();
    return r.ok ? 'ok' : 'try_again';
  }

  private async change(login: string, update: (d: UserData) => UserData): Promise<UserChange> {
    const found = this.read(login);
    if (found === undefined) return 'not_found';
    return this.write(login, '$UserUpdated', update(found.data), { kind: 'exact', revision: found.revision });
  }

  private async write(login: string, type: string, data: UserData, expected: ExpectedRevision): Promise<UserChange> {
    const r = await this.store.append(userStream(login), [event(type, json(data))], expected);
    this.forgetVerified();
    return r.ok ? 'ok' : 'try_again';
  }

  private read(login: string): { data: UserData; revision: bigint; lastUpdated: bigint } | undefined {
    if (login.length === 0) return undefined;
    const r = this.store.readStream(userStream(login), { direction: 'backwards', from: 'end', maxCount: 1n, resolveLinks: false });
    const last = r.kind === 'ok' ? r.events[0]?.event : undefined;
    if (last === undefined) return undefined;
    try {
      const data = JSON.parse(Buffer.from(last.data).toString('utf8')) as UserData;
      return { data: { ...data, groups: Array.isArray(data.groups) ? data.groups : [] }, revision: last.revision, lastUpdated: last.created };
    } catch {
      return undefined;
    }
  }
}
