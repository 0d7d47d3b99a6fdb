import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { AccessDeniedError, EventStoreDBClient, StreamNotFoundError, UnavailableError, jsonEvent, type ReadStreamOptions } from '@eventstore/db-client';
import { collect, deposits, uniqueStream } from './esdb-fixture.js';
import { rejection, startSecureFixture, subscriptionRefusal, type SecureFixture } from './secure-fixture.js';

// Issue 16, secure mode: TLS, authentication and stream ACLs as a real
// 23.10 node with its defaults (AllowAnonymousStreamAccess false, the legacy
// ACL policy), seen through the real client.
let node: SecureFixture;
let admin: EventStoreDBClient;
let ops: EventStoreDBClient;
let anonymous: EventStoreDBClient;
let wrongPassword: EventStoreDBClient;

beforeAll(async () => {
  node = await startSecureFixture();
  admin = node.clientAs('admin');
  ops = node.clientAs('ops');
  anonymous = node.clientAs();
  wrongPassword = node.clientAs('admin', 'not-the-password');
}, 30_000);
afterAll(() => node?.close());

const read = (client: EventStoreDBClient, stream: string, options: ReadStreamOptions = {}) => collect(client.readStream(stream, options));
const readAllOf = (client: EventStoreDBClient) => collect(client.readAll({ maxCount: 1_000 }));
const UNARY = (username: string, password = 'changeit') => ({ credentials: { username, password } });
const codeOf = (e: Error): number | undefined => (e as Error & { code?: number }).code;

describe('TLS', () => {
  test('the printed connection string names the CA, and the real client connects over TLS with it', async () => {
    expect(node.server.connectionString).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=true&tlsCAFile=/);
    const stream = uniqueStream('tls');
    await admin.appendToStream(stream, deposits(2));
    expect((await read(admin, stream)).map((e) => e.event?.revision)).toEqual([0n, 1n]);
  });

  test('a plaintext client, and a TLS client that does not trust the CA, cannot talk to a secure node', async () => {
    const plain = EventStoreDBClient.connectionString(`esdb://admin:changeit@127.0.0.1:${node.server.port}?tls=false`);
    const untrusting = EventStoreDBClient.connectionString(`esdb://admin:changeit@127.0.0.1:${node.server.port}?tls=true`);
    try {
      for (const client of [plain, untrusting]) {
        const e = await rejection(read(client, uniqueStream('tls'), { deadline: 3_000 }));
        expect(e).not.toBeInstanceOf(StreamNotFoundError);
        expect(e).toBeInstanceOf(UnavailableError);
      }
    } finally {
      await plain.dispose();
      await untrusting.dispose();
    }
  });
});

describe('authentication', () => {
  test('without credentials, appends (batch and unary), reads, $all reads and subscriptions are refused as access denied, and nothing is appended', async () => {
    const stream = uniqueStream('anon');
    await admin.appendToStream(stream, deposits(1));
    expect(await rejection(anonymous.appendToStream(stream, deposits(1)))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(read(anonymous, stream))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(readAllOf(anonymous))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(anonymous.deleteStream(stream))).toBeInstanceOf(AccessDeniedError);
    const sub = anonymous.subscribeToStream(stream);
    const dropped = await subscriptionRefusal(sub);
    await sub.unsubscribe();
    expect(dropped).toBeInstanceOf(AccessDeniedError);
    expect(codeOf(dropped)).toBe(grpc.status.PERMISSION_DENIED);
    expect(await read(admin, stream)).toHaveLength(1);
  });

  test('a wrong password is UNAUTHENTICATED (AccessDeniedError in the client), on the connection string and per call', async () => {
    const stream = uniqueStream('badpw');
    const refusedRead = await rejection(read(wrongPassword, stream));
    expect(refusedRead).toBeInstanceOf(AccessDeniedError);
    expect(codeOf(refusedRead)).toBe(grpc.status.UNAUTHENTICATED);
    const refusedAppend = await rejection(wrongPassword.appendToStream(stream, deposits(1)));
    expect(refusedAppend).toBeInstanceOf(AccessDeniedError);
    const perCall = await rejection(admin.appendToStream(stream, deposits(1), UNARY('admin', 'wrong')));
    expect(codeOf(perCall)).toBe(grpc.status.UNAUTHENTICATED);
    const unknownUser = await rejection(read(admin, stream, UNARY('nobody')));
    expect(codeOf(unknownUser)).toBe(grpc.status.UNAUTHENTICATED);
    expect(await rejection(read(admin, stream))).toBeInstanceOf(StreamNotFoundError); // nothing was appended
  });

  test('per-call credentials stand in for the connection string’s: an anonymous client appends and reads as admin', async () => {
    const stream = uniqueStream('percall');
    await anonymous.appendToStream(stream, deposits(2), UNARY('admin'));
    expect(await read(anonymous, stream, UNARY('admin'))).toHaveLength(2);
  });
});

describe('requests the guard cannot read', () => {
  test('a stream name over the limit gets the handler’s INVALID_ARGUMENT on read, append and delete, and the node keeps serving', async () => {
    const tooLong = 'x'.repeat(60_001);
    for (const refused of [
      await rejection(read(admin, tooLong)),
      await rejection(admin.appendToStream(tooLong, deposits(1))),
      await rejection(admin.appendToStream(tooLong, deposits(1), UNARY('admin'))),
      await rejection(admin.deleteStream(tooLong)),
    ]) {
      expect(refused).not.toBeInstanceOf(AccessDeniedError);
      expect(refused.message).toMatch(/too long/);
    }
    const stream = uniqueStream('after');
    await admin.appendToStream(stream, deposits(1));
    expect(await read(admin, stream)).toHaveLength(1);
  });
});

describe('default ACLs', () => {
  test('an authenticated non-admin (ops) reads and writes user streams, but not $all or system streams', async () => {
    const stream = uniqueStream('account');
    await ops.appendToStream(stream, deposits(2));
    expect(await read(ops, stream)).toHaveLength(2);
    expect(await rejection(readAllOf(ops))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(read(ops, '$user-admin'))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(ops.appendToStream('$system-thing', deposits(1)))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(ops.appendToStream('$system-thing', deposits(1), UNARY('ops')))).toBeInstanceOf(AccessDeniedError);
  });

  test('admin reads $all and system streams: the users are kept in $user-<login> and $users, as on the real server', async () => {
    const all = await readAllOf(admin);
    expect(all.length).toBeGreaterThan(0);
    const adminUser = await read(admin, '$user-admin');
    expect(adminUser[0]?.event?.type).toBe('$UserCreated');
    expect(adminUser[0]?.event?.data).toMatchObject({ loginName: 'admin', groups: ['$admins'], disabled: false });
    const logins = (await read(admin, '$users')).map((e) => Buffer.from(e.event?.data as Uint8Array).toString('utf8'));
    expect(logins).toEqual(expect.arrayContaining(['admin', 'ops']));
  });
});

describe('stream ACLs ($acl in stream metadata)', () => {
  test('read, write, delete and metadata roles by user name and by group; admins pass every ACL', async () => {
    const stream = uniqueStream('acl');
    await admin.setStreamMetadata(stream, {
      acl: { readRoles: ['ops'], writeRoles: ['$admins'], deleteRoles: [], metaReadRoles: ['$ops'], metaWriteRoles: ['$admins'] },
    });
    await admin.appendToStream(stream, deposits(1));
    expect(await read(ops, stream)).toHaveLength(1);
    expect(await rejection(ops.appendToStream(stream, deposits(1)))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(ops.deleteStream(stream))).toBeInstanceOf(AccessDeniedError);
    expect((await ops.getStreamMetadata(stream)).metadata?.acl).toMatchObject({ readRoles: ['ops'] });
    expect(await rejection(ops.setStreamMetadata(stream, { acl: { readRoles: ['$all'] } }))).toBeInstanceOf(AccessDeniedError);
    expect(await read(admin, stream)).toHaveLength(1); // ops wrote nothing
    await admin.appendToStream(stream, deposits(1));
    await admin.deleteStream(stream);
  });

  test('a role the caller does not hold keeps them out; an empty role list keeps everyone but admins out', async () => {
    const stream = uniqueStream('acl');
    await admin.setStreamMetadata(stream, { acl: { readRoles: ['someone-else'], writeRoles: [] } });
    expect(await rejection(read(ops, stream))).toBeInstanceOf(AccessDeniedError);
    expect(await rejection(ops.appendToStream(stream, deposits(1)))).toBeInstanceOf(AccessDeniedError);
    await admin.appendToStream(stream, deposits(1));
    expect(await read(admin, stream)).toHaveLength(1);
  });

  test('a catch-up subscription honours the read ACL', async () => {
    const stream = uniqueStream('acl');
    await admin.setStreamMetadata(stream, { acl: { readRoles: ['$admins'] } });
    const sub = ops.subscribeToStream(stream);
    const dropped = await subscriptionRefusal(sub);
    await sub.unsubscribe();
    expect(dropped).toBeInstanceOf(AccessDeniedError);
  });
});

describe('default ACLs from $settings', () => {
  test('$userStreamAcl applies to user streams without their own ACL; a stream ACL still wins', async () => {
    const open = uniqueStream('settings');
    const own = uniqueStream('settings');
    await admin.appendToStream(open, deposits(1));
    await admin.setStreamMetadata(own, { acl: { readRoles: ['ops'] } });
    const restrict = { $userStreamAcl: { $r: '$admins', $w: '$admins', $d: '$admins', $mr: '$admins', $mw: '$admins' } };
    await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: restrict }));
    try {
      expect(await rejection(read(ops, open))).toBeInstanceOf(AccessDeniedError);
      expect(await rejection(ops.appendToStream(uniqueStream('settings'), deposits(1)))).toBeInstanceOf(AccessDeniedError);
      expect(await rejection(read(ops, own))).toBeInstanceOf(StreamNotFoundError); // allowed by its own ACL; it has no events
    } finally {
      await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: { $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' } } }));
    }
    expect(await read(ops, open)).toHaveLength(1);
  });

  test('$systemStreamAcl can open system streams to a group', async () => {
    await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: { $systemStreamAcl: { $r: ['$admins', '$ops'] } } }));
    try {
      expect((await readAllOf(ops)).length).toBeGreaterThan(0);
      expect(await rejection(ops.appendToStream('$system-thing', deposits(1)))).toBeInstanceOf(AccessDeniedError); // $w falls back to the default: $admins
    } finally {
      await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: {} }));
    }
    expect(await rejection(readAllOf(ops))).toBeInstanceOf(AccessDeniedError);
  });
});
