import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { LogStore } from '../../src/esdb-server/store/log-store.js';
import { parseBasicCredentials } from '../../src/esdb-server/security/basic-credentials.js';
import { StreamAccessPolicy } from '../../src/esdb-server/security/stream-acl.js';
import type { Principal } from '../../src/esdb-server/security/principal.js';

// Issue 16: the legacy ACL policy of 23.10 over a memory log, rule by rule.
const json = (v: unknown) => ({ eventId: randomUUID(), type: '$metadata', contentType: 'application/json', data: new Uint8Array(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))), metadata: new Uint8Array(0) });
const given = async (writes: Array<[string, unknown]>): Promise<StreamAccessPolicy> => {
  const store = new LogStore({});
  for (const [stream, body] of writes) await store.append(stream, [json(body)], { kind: 'any' });
  return new StreamAccessPolicy(store);
};
const user = (name: string, ...groups: string[]): Principal => ({ name, groups });
const ann = user('ann', 'tellers');
const admin = user('admin', '$admins');

describe('the stream ACL policy', () => {
  test('anonymous callers reach no stream; any authenticated user reaches user streams by default, only admins system streams', async () => {
    const policy = await given([]);
    for (const action of ['read', 'write', 'delete'] as const) {
      expect(policy.allows(undefined, action, 'account-1')).toBe(false);
      expect(policy.allows(ann, action, 'account-1')).toBe(true);
      expect(policy.allows(ann, action, '$system')).toBe(false);
      expect(policy.allows(admin, action, '$system')).toBe(true);
    }
    expect(policy.allows(user('root-like', '$admins'), 'write', '$system')).toBe(true); // admin by group, not only by name
  });

  test('$all: read by admins unless its metadata opens it; never written or deleted, not even by admins', async () => {
    expect((await given([])).allows(ann, 'read', '$all')).toBe(false);
    const opened = await given([['$$$all', { $acl: { $r: 'tellers' } }]]);
    expect(opened.allows(ann, 'read', '$all')).toBe(true);
    expect(opened.allows(admin, 'write', '$all')).toBe(false);
    expect(opened.allows(admin, 'delete', '$all')).toBe(false);
  });

  test('a stream’s own $acl, a role or a list, by user name or group; each action it leaves out falls back to the defaults', async () => {
    const policy = await given([['$$account-1', { $acl: { $r: ['bob', 'tellers'], $w: 'bob' } }]]);
    expect(policy.allows(ann, 'read', 'account-1')).toBe(true);
    expect(policy.allows(ann, 'write', 'account-1')).toBe(false);
    expect(policy.allows(user('bob'), 'write', 'account-1')).toBe(true);
    expect(policy.allows(ann, 'delete', 'account-1')).toBe(true); // $d not given: the user-stream default ($all)
    expect(policy.allows(user('carl'), 'read', 'account-1')).toBe(false);
    expect(policy.allows(admin, 'write', 'account-1')).toBe(true);
  });

  test('a metastream is its stream’s metadata ($mr, $mw); deleting one is refused', async () => {
    const policy = await given([['$$account-1', { $acl: { $mr: 'tellers', $mw: [] } }]]);
    expect(policy.allows(ann, 'read', '$$account-1')).toBe(true);
    expect(policy.allows(ann, 'write', '$$account-1')).toBe(false);
    expect(policy.allows(user('carl'), 'read', '$$account-1')).toBe(false);
    expect(policy.allows(admin, 'delete', '$$account-1')).toBe(false);
  });

  test('$settings default ACLs apply per action; the last $settings event counts; one that is not JSON leaves the built-in defaults', async () => {
    const policy = await given([
      ['$settings', { $userStreamAcl: { $r: '$all', $w: '$admins' }, $systemStreamAcl: { $r: ['tellers'] } }],
    ]);
    expect(policy.allows(ann, 'read', 'account-1')).toBe(true);
    expect(policy.allows(ann, 'write', 'account-1')).toBe(false);
    expect(policy.allows(ann, 'delete', 'account-1')).toBe(true); // not in $userStreamAcl: built-in default
    expect(policy.allows(ann, 'read', '$system')).toBe(true);
    expect(policy.allows(ann, 'write', '$system')).toBe(false);
    const broken = await given([['$settings', { $userStreamAcl: { $w: '$admins' } }], ['$settings', '{not json']]);
    expect(broken.allows(ann, 'write', 'account-1')).toBe(true);
  });
});

describe('Basic credentials', () => {
  test('user and password (which may hold a colon); absent; malformed', () => {
    const header = `Basic ${Buffer.from('ann:pa:ss').toString('base64')}`;
    expect(parseBasicCredentials(header)).toEqual({ username: 'ann', password: 'pa:ss' });
    expect(parseBasicCredentials(undefined)).toBeUndefined();
    expect(parseBasicCredentials('Bearer abc')).toBe('malformed');
    expect(parseBasicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBe('malformed');
  });
});
