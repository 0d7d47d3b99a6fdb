import * as grpc from '@grpc/grpc-js';
import { afterAll, expect, test } from 'vitest';
import persistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb.js';
import { streamsGrpc } from '../../src/esdb-server/generated.js';
import { ResponseFrames } from '../../src/esdb-server/grpc-frames.js';

// ResponseFrames over a real grpc-js server and client, with raw bytes as messages.
const base = streamsGrpc.StreamsService;
const definition: grpc.ServiceDefinition = { ...base, read: { ...base.read, requestDeserialize: (b: Buffer) => b, responseSerialize: (v: Buffer) => v } };
const servers: grpc.Server[] = [];
afterAll(() => servers.forEach((s) => s.forceShutdown()));

const serve = async (read: (call: grpc.ServerWritableStream<Buffer, Buffer>) => void): Promise<grpc.Client> => {
  const server = new grpc.Server();
  servers.push(server);
  server.addService(definition, { read });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
};

const readAll = (client: grpc.Client): Promise<Buffer[]> =>
  new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const call = client.makeServerStreamRequest('/event_store.client.streams.Streams/Read', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0));
    call.on('data', (m: Buffer) => got.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(got));
  });

test('messages arrive whole and in order, however they were grouped into writes', async () => {
  const client = await serve((call) => {
    const out = ResponseFrames.of(call);
    void (async () => {
      for (let i = 0; i < 5_000; i++) {
        const wait = out.send(Buffer.from(`message ${i}`.padEnd(20 + (i % 300), '.')));
        if (wait !== undefined) await wait;
      }
      out.end();
    })();
  });
  const got = await readAll(client);
  expect(got).toHaveLength(5_000);
  expect(got.every((m, i) => m.toString().startsWith(`message ${i}`) && m.length === 20 + (i % 300))).toBe(true);
  client.close();
});

test('a sender told to wait after the transport already drained is not left waiting', async () => {
  // A bidi call (as persistent subscriptions use): a burst bigger than
  // HTTP/2's buffer written in one go, then nothing until long after the drain.
  const persistent = persistentGrpc.PersistentSubscriptionsService;
  const server = new grpc.Server();
  servers.push(server);
  let later: 'no wait' | 'resolved' | 'pending' = 'pending';
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  server.addService(
    { ...persistent, read: { ...persistent.read, requestDeserialize: (b: Buffer) => b, responseSerialize: (v: Buffer) => v } },
    {
      read: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const out = ResponseFrames.of(call);
        for (let i = 0; i < 150; i++) out.send(Buffer.alloc(300, 1));
        setTimeout(() => {
          const wait = out.send(Buffer.alloc(10, 2));
          if (wait === undefined) later = 'no wait';
          else void wait.then(() => (later = 'resolved'));
          setTimeout(() => {
            out.end();
            done();
          }, 500);
        }, 200);
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest('/event_store.client.persistent_subscriptions.PersistentSubscriptions/Read', (x: Buffer) => x, (x: Buffer) => x);
  let received = 0;
  call.on('data', () => received++);
  call.on('error', () => undefined);
  call.write(Buffer.alloc(0));
  await finished;
  expect(later).not.toBe('pending');
  expect(received).toBe(151);
  call.end();
  client.close();
});

test('an error status goes out after the messages queued before it', async () => {
  const client = await serve((call) => {
    const out = ResponseFrames.of(call);
    out.send(Buffer.from('first'));
    out.fail({ code: grpc.status.NOT_FOUND, details: 'gone' });
  });
  const got: Buffer[] = [];
  const err = await new Promise<grpc.ServiceError>((resolve) => {
    const call = client.makeServerStreamRequest('/event_store.client.streams.Streams/Read', (x: Buffer) => x, (x: Buffer) => x, Buffer.alloc(0));
    call.on('data', (m: Buffer) => got.push(m));
    call.on('error', resolve);
  });
  expect(got.map(String)).toEqual(['first']);
  expect(err.code).toBe(grpc.status.NOT_FOUND);
  client.close();
});
