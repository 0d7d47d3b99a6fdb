import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { AccessDeniedError, type EventStoreDBClient } from '@eventstore/db-client';
import usersPb from '@eventstore/db-client/generated/users_pb.js';
import { collect, deposits, uniqueStream } from './esdb-fixture.js';
import { basic, rejection, startSecureFixture, type SecureFixture } from './secure-fixture.js';

// Issue 16: the Users service (event_store.client.users.Users) as the real
// 23.10 answers it, and users kept in the log across a restart.
type Users = SecureFixture['users'];
type Unary<Req, Resp> = (req: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r?: Resp) => void) => unknown;
const call = <Req, Resp>(method: Unary<Req, Resp>, users: Users, req: Req, as: grpc.CallCredentials): Promise<Resp | undefined> =>
  new Promise((resolve, reject) => method.call(users, req, new grpc.Metadata(), { credentials: as }, (e, r) => (e ? reject(e) : resolve(r))));

const ADMIN = basic('admin', 'changeit');
const create = (users: Users, login: string, password: string, groups: string[], as = ADMIN) =>
  call(users.create, users, new usersPb.CreateReq().setOptions(new usersPb.CreateReq.Options().setLoginName(login).setPassword(password).setFullName(`${login} full`).setGroupsList(groups)), as);
const details = (users: Users, login: string, as = ADMIN): Promise<InstanceType<typeof usersPb.DetailsResp.UserDetails>[]> =>
  new Promise((resolve, reject) => {
    const out: InstanceType<typeof usersPb.DetailsResp.UserDetails>[] = [];
    const s = users.details(new usersPb.DetailsReq().setOptions(new usersPb.DetailsReq.Options().setLoginName(login)), { credentials: as });
    s.on('data', (r: InstanceType<typeof usersPb.DetailsResp>) => out.push(r.getUserDetails() as InstanceType<typeof usersPb.DetailsResp.UserDetails>));
    s.on('error', reject);
    s.on('end', () => resolve(out));
  });
const login = <T extends { setLoginName(l: string): T }>(o: T, name: string): T => o.setLoginName(name);
const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;
const trailer = (e: unknown, key: string): unknown => (e as { metadata?: grpc.Metadata }).metadata?.get(key)[0];

let node: SecureFixture;
beforeAll(async () => {
  node = await startSecureFixture();
}, 30_000);
afterAll(() => node?.close());

const canRead = async (client: EventStoreDBClient): Promise<boolean> => {
  const stream = uniqueStream('probe');
  try {
    await client.appendToStream(stream, deposits(1));
    return (await collect(client.readStream(stream))).length === 1;
  } catch (e) {
    if (e instanceof AccessDeniedError) return false;
    throw e;
  }
};

describe('the Users service', () => {
  test('an admin creates a user who then authenticates; details show the name, groups and a last update time', async () => {
    await create(node.users, 'ann', 'ann-pw-1', ['tellers']);
    expect(await canRead(node.clientAs('ann', 'ann-pw-1'))).toBe(true);
    expect(await canRead(node.clientAs('ann', 'wrong'))).toBe(false);
    const [ann] = await details(node.users, 'ann');
    expect(ann?.getLoginName()).toBe('ann');
    expect(ann?.getFullName()).toBe('ann full');
    expect(ann?.getGroupsList()).toEqual(['tellers']);
    expect(ann?.getDisabled()).toBe(false);
    const ticks = BigInt(ann?.getLastUpdated()?.getTicksSinceEpoch() ?? '0');
    expect(Number(ticks / 10_000n)).toBeGreaterThan(Date.now() - 60_000);
  });

  test('creating an existing user with another password is a user-conflict; with the same password it succeeds', async () => {
    await create(node.users, 'bob', 'bob-pw', []);
    await expect(create(node.users, 'bob', 'bob-pw', [])).resolves.toBeDefined();
    const e = await rejection(create(node.users, 'bob', 'other', []));
    expect(codeOf(e)).toBe(grpc.status.FAILED_PRECONDITION);
    expect(trailer(e, 'exception')).toBe('user-conflict');
  });

  test('update (groups), disable, enable, reset password and delete take effect on authentication and ACLs', async () => {
    await create(node.users, 'cid', 'cid-pw', []);
    const stream = uniqueStream('grouped');
    const admin = node.clientAs('admin');
    await admin.setStreamMetadata(stream, { acl: { readRoles: ['auditors'] } });
    await admin.appendToStream(stream, deposits(1));
    const cid = node.clientAs('cid', 'cid-pw');
    expect(await rejection(collect(cid.readStream(stream)))).toBeInstanceOf(AccessDeniedError);
    await call(node.users.update, node.users, new usersPb.UpdateReq().setOptions(login(new usersPb.UpdateReq.Options(), 'cid').setFullName('Cid').setGroupsList(['auditors'])), ADMIN);
    expect(await collect(cid.readStream(stream))).toHaveLength(1);

    await call(node.users.disable, node.users, new usersPb.DisableReq().setOptions(login(new usersPb.DisableReq.Options(), 'cid')), ADMIN);
    expect(codeOf(await rejection(collect(cid.readStream(stream))))).toBe(grpc.status.UNAUTHENTICATED);
    expect((await details(node.users, 'cid'))[0]?.getDisabled()).toBe(true);
    await call(node.users.enable, node.users, new usersPb.EnableReq().setOptions(login(new usersPb.EnableReq.Options(), 'cid')), ADMIN);
    expect(await collect(cid.readStream(stream))).toHaveLength(1);

    await call(node.users.resetPassword, node.users, new usersPb.ResetPasswordReq().setOptions(login(new usersPb.ResetPasswordReq.Options(), 'cid').setNewPassword('cid-pw-2')), ADMIN);
    expect(codeOf(await rejection(collect(cid.readStream(stream))))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await collect(node.clientAs('cid', 'cid-pw-2').readStream(stream))).toHaveLength(1);

    await call(node.users.delete, node.users, new usersPb.DeleteReq().setOptions(login(new usersPb.DeleteReq.Options(), 'cid')), ADMIN);
    expect(codeOf(await rejection(collect(node.clientAs('cid', 'cid-pw-2').readStream(stream))))).toBe(grpc.status.UNAUTHENTICATED);
    const gone = await rejection(details(node.users, 'cid'));
    expect(codeOf(gone)).toBe(grpc.status.NOT_FOUND);
    expect(trailer(gone, 'exception')).toBe('user-not-found');
  });

  test('a user changes their own password knowing the current one; not another user’s, and not with a wrong current one', async () => {
    await create(node.users, 'dee', 'dee-pw', []);
    const change = (user: string, as: grpc.CallCredentials, current: string, next: string) =>
      call(node.users.changePassword, node.users, new usersPb.ChangePasswordReq().setOptions(login(new usersPb.ChangePasswordReq.Options(), user).setCurrentPassword(current).setNewPassword(next)), as);
    expect(codeOf(await rejection(change('dee', basic('dee', 'dee-pw'), 'not-it', 'x')))).toBe(grpc.status.PERMISSION_DENIED);
    expect(codeOf(await rejection(change('admin', basic('dee', 'dee-pw'), 'changeit', 'x')))).toBe(grpc.status.PERMISSION_DENIED);
    await change('dee', basic('dee', 'dee-pw'), 'dee-pw', 'dee-pw-2');
    expect(await canRead(node.clientAs('dee', 'dee-pw-2'))).toBe(true);
    expect(await canRead(node.clientAs('dee', 'dee-pw'))).toBe(false);
  });

  test('only admins manage users and list them; a user reads their own details; no credentials are refused', async () => {
    await create(node.users, 'eve', 'eve-pw', []);
    const eve = basic('eve', 'eve-pw');
    expect(codeOf(await rejection(create(node.users, 'mallory', 'pw', ['$admins'], eve)))).toBe(grpc.status.PERMISSION_DENIED);
    expect(codeOf(await rejection(create(node.users, 'mallory', 'pw', ['$admins'], basic('ops', 'changeit'))))).toBe(grpc.status.PERMISSION_DENIED);
    expect(codeOf(await rejection(details(node.users, '', eve)))).toBe(grpc.status.PERMISSION_DENIED);
    expect(codeOf(await rejection(details(node.users, 'admin', eve)))).toBe(grpc.status.PERMISSION_DENIED);
    expect((await details(node.users, 'eve', eve)).map((d) => d.getLoginName())).toEqual(['eve']);
    const anonymous = await rejection(
      new Promise((resolve, reject) => node.users.create(new usersPb.CreateReq().setOptions(login(new usersPb.CreateReq.Options(), 'x').setPassword('x')), (e, r) => (e ? reject(e) : resolve(r)))),
    );
    expect(codeOf(anonymous)).toBe(grpc.status.PERMISSION_DENIED);
    expect(codeOf(await rejection(details(node.users, 'mallory')))).toBe(grpc.status.NOT_FOUND);
    const all = (await details(node.users, '')).map((d) => d.getLoginName());
    expect(all).toEqual([...all].sort());
    expect(all).toEqual(expect.arrayContaining(['admin', 'ops', 'eve']));
  });
});

describe('bad input', () => {
  test('an empty login name or password is INVALID_ARGUMENT naming the field, and creates nobody', async () => {
    const noLogin = await rejection(create(node.users, '', 'pw', []));
    expect([codeOf(noLogin), (noLogin as grpc.ServiceError).details]).toEqual([grpc.status.INVALID_ARGUMENT, 'login_name must not be empty']);
    const noPassword = await rejection(create(node.users, 'gus', '', []));
    expect([codeOf(noPassword), (noPassword as grpc.ServiceError).details]).toEqual([grpc.status.INVALID_ARGUMENT, 'password must not be empty']);
    const reset = await rejection(call(node.users.resetPassword, node.users, new usersPb.ResetPasswordReq().setOptions(login(new usersPb.ResetPasswordReq.Options(), 'admin')), ADMIN));
    expect((reset as grpc.ServiceError).details).toBe('new_password must not be empty');
    expect(codeOf(await rejection(details(node.users, 'gus')))).toBe(grpc.status.NOT_FOUND);
  });
});

describe('across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-secure-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('users, their passwords and the dev certificates survive; the default users are not created twice', async () => {
    const first = await startSecureFixture({ dataDir: join(dir, 'data'), certsDir: join(dir, 'certs') });
    const ca = readFileSync(first.caFile, 'utf8');
    await create(first.users, 'fay', 'fay-pw', ['$ops']);
    await call(first.users.resetPassword, first.users, new usersPb.ResetPasswordReq().setOptions(login(new usersPb.ResetPasswordReq.Options(), 'admin').setNewPassword('new-admin-pw')), ADMIN);
    await first.close();

    const second = await startSecureFixture({ dataDir: join(dir, 'data'), certsDir: join(dir, 'certs') });
    try {
      expect(readFileSync(second.caFile, 'utf8')).toBe(ca);
      expect(await canRead(second.clientAs('fay', 'fay-pw'))).toBe(true);
      expect(await canRead(second.clientAs('admin', 'new-admin-pw'))).toBe(true);
      expect(await canRead(second.clientAs('admin', 'changeit'))).toBe(false);
      const adminEvents = await collect(second.clientAs('admin', 'new-admin-pw').readStream('$user-admin'));
      expect(adminEvents.map((e) => e.event?.type)).toEqual(['$UserCreated', '$UserUpdated']);
    } finally {
      await second.close();
    }
  });
});
