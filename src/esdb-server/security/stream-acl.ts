import type { StreamStore } from '../store/stream-store.js';
import { isMetastream, originalStreamOf } from '../store/stream-metadata.js';
import { ADMINS, isAdmin, type Principal } from './principal.js';

/** What an operation does to a stream, as the real server's stream permission assertion names it. */
export type StreamAction = 'read' | 'write' | 'delete' | 'metadataRead' | 'metadataWrite';

/** Roles (user names or groups) per action; undefined: this level does not say. */
export interface StreamAcl {
  readonly read?: readonly string[];
  readonly write?: readonly string[];
  readonly delete?: readonly string[];
  readonly metadataRead?: readonly string[];
  readonly metadataWrite?: readonly string[];
}

const ALL = '$all';
const KEYS: ReadonlyArray<readonly [StreamAction, string]> = [
  ['read', '$r'],
  ['write', '$w'],
  ['delete', '$d'],
  ['metadataRead', '$mr'],
  ['metadataWrite', '$mw'],
];

/** SystemSettings.Default: user streams open to every authenticated user, system streams to admins. */
const everyAction = (roles: readonly string[]): StreamAcl => Object.fromEntries(KEYS.map(([a]) => [a, roles])) as StreamAcl;
export const DEFAULT_USER_STREAM_ACL = everyAction([ALL]);
export const DEFAULT_SYSTEM_STREAM_ACL = everyAction([ADMINS]);

const roles = (value: unknown): readonly string[] | undefined => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return undefined;
};

/** An `$acl` object (`$r`, `$w`, `$d`, `$mr`, `$mw`, each a role or an array of roles). */
export const parseAcl = (value: unknown): StreamAcl | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  return Object.fromEntries(KEYS.map(([action, key]) => [action, roles(o[key])]).filter(([, r]) => r !== undefined)) as StreamAcl;
};

interface SystemSettings {
  readonly userStreamAcl: StreamAcl | undefined;
  readonly systemStreamAcl: StreamAcl | undefined;
}

const SETTINGS_STREAM = '$settings';

/**
 * The legacy ACL policy of EventStoreDB 23.10 (LegacyStreamPermissionAssertion
 * behind RequireAuthenticated): anonymous callers reach no stream; admins
 * reach every stream; otherwise the roles come from the stream's own `$acl`
 * metadata, else from the default ACLs in `$settings` (`$userStreamAcl`,
 * `$systemStreamAcl`), else from the built-in defaults, per action. A
 * metastream `$$X` is X's metadata (`$mr`/`$mw`); `$all` is a system stream
 * (admins only unless `$$$all` says otherwise) and can be neither written nor
 * deleted.
 */
export class StreamAccessPolicy {
  private settingsAt: bigint | undefined = -1n;
  private settings: SystemSettings = { userStreamAcl: undefined, systemStreamAcl: undefined };

  constructor(private readonly store: StreamStore) {}

  allows(principal: Principal | undefined, action: 'read' | 'write' | 'delete', streamId: string): boolean {
    if (principal === undefined) return false;
    let stream = streamId === '' ? ALL : streamId;
    if (stream === ALL && action !== 'read') return false;
    let effective: StreamAction = action;
    if (isMetastream(stream)) {
      if (action === 'delete') return false;
      effective = action === 'read' ? 'metadataRead' : 'metadataWrite';
      stream = originalStreamOf(stream);
    }
    if (isAdmin(principal)) return true;
    const granted = this.rolesFor(effective, stream);
    return granted.some((r) => r === ALL || r === principal.name || principal.groups.includes(r));
  }

  private rolesFor(action: StreamAction, stream: string): readonly string[] {
    const own = parseAcl(this.store.metadataOf(stream).raw?.['$acl']);
    const system = stream.startsWith('$');
    const settings = this.currentSettings();
    const fromSettings = system ? settings.systemStreamAcl : settings.userStreamAcl;
    const builtIn = system ? DEFAULT_SYSTEM_STREAM_ACL : DEFAULT_USER_STREAM_ACL;
    return own?.[action] ?? fromSettings?.[action] ?? builtIn[action] ?? [];
  }

  // `$settings` is read again only when it has a new event.
  private currentSettings(): SystemSettings {
    const head = this.store.lastRevision(SETTINGS_STREAM);
    if (head === this.settingsAt) return this.settings;
    this.settingsAt = head;
    this.settings = { userStreamAcl: undefined, systemStreamAcl: undefined };
    const r = this.store.readStream(SETTINGS_STREAM, { direction: 'backwards', from: 'end', maxCount: 1n, resolveLinks: false });
    const last = r.kind === 'ok' ? r.events[0]?.event : undefined;
    if (last === undefined) return this.settings;
    try {
      const body = JSON.parse(Buffer.from(last.data).toString('utf8')) as Record<string, unknown>;
      this.settings = { userStreamAcl: parseAcl(body['$userStreamAcl']), systemStreamAcl: parseAcl(body['$systemStreamAcl']) };
    } catch {
      // Settings that are not JSON count as none: the built-in defaults apply.
    }
    return this.settings;
  }
}
