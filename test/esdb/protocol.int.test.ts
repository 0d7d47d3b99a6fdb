import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { EventStoreDBClient, StreamNotFoundError } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import { collect, deposits, startFixture, uniqueStream, type EsdbFixture } from './esdb-fixture.js';

// These tests use the stubs generated into @eventstore/db-client itself, to
// send what the high-level client never would (malformed or partial requests).
let f: EsdbFixture;
let address: string;
beforeAll(async () => {
  f = await startFixture();
  address = `127.0.0.1:${f.server.port}`;
});
afterAll(() => f.close());

const statusOf = (err: unknown): number | undefined => (err as grpc.ServiceError | undefined)?.code;

describe('ServerFeatures and Gossip', () => {
  test('server features list BatchAppend and a server version', async () => {
    const client = new featuresGrpc.ServerFeaturesClient(address, grpc.credentials.createInsecure());
    const methods = await new Promise<InstanceType<typeof featuresPb.SupportedMethods>>((resolve, reject) =>
      client.getSupportedMethods(new sharedPb.Empty(), (err, res) => (err ? reject(err) : resolve(res))),
    );
    client.close();
    expect(methods.getEventStoreServerVersion()).toMatch(/^\d+\.\d+\.\d+/);
    const paths = methods.getMethodsList().map((m) => `${m.getServiceName()}/${m.getMethodName()}`);
    expect(paths).toContain('event_store.client.streams.streams/batchappend');
  });

  test('a client discovering through gossip finds this node and works', async () => {
    const discovering = EventStoreDBClient.connectionString(`esdb+discover://127.0.0.1:${f.server.port}?tls=false`);
    const stream = uniqueStream();
    try {
      await discovering.appendToStream(stream, deposits(2));
      expect(await collect(discovering.readStream(stream))).toHaveLength(2);
    } finally {
      await discovering.dispose();
    }
  });
});

describe('malformed requests answer INVALID_ARGUMENT and the server keeps serving', () => {
  const streams = (): InstanceType<typeof streamsGrpc.StreamsClient> =>
    new streamsGrpc.StreamsClient(address, grpc.credentials.createInsecure());

  test('a read without options', async () => {
    const client = streams();
    const err = await new Promise<unknown>((resolve) => {
      const call = client.read(new streamsPb.ReadReq());
      call.on('error', resolve);
      call.on('end', () => resolve(undefined));
      call.on('data', () => undefined);
    });
    client.close();
    expect(statusOf(err)).toBe(grpc.status.INVALID_ARGUMENT);
  });

  test('an append whose events come without the options message, and one with an unknown content type', async () => {
    const client = streams();
    const append = (msgs: InstanceType<typeof streamsPb.AppendReq>[]) =>
      new Promise<unknown>((resolve) => {
        const call = client.append((err) => resolve(err));
        for (const m of msgs) call.write(m);
        call.end();
      });
    const proposed = (contentType: string) => {
      const m = new streamsPb.AppendReq.ProposedMessage().setId(new sharedPb.UUID().setString('5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11')).setData(Buffer.from('{}'));
      m.getMetadataMap().set('type', 'X');
      m.getMetadataMap().set('content-type', contentType);
      return new streamsPb.AppendReq().setProposedMessage(m);
    };
    expect(statusOf(await append([proposed('application/json')]))).toBe(grpc.status.INVALID_ARGUMENT);
    const stream = uniqueStream();
    const options = new streamsPb.AppendReq().setOptions(
      new streamsPb.AppendReq.Options().setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream))).setAny(new sharedPb.Empty()),
    );
    expect(statusOf(await append([options, proposed('text/plain')]))).toBe(grpc.status.INVALID_ARGUMENT);
    client.close();
    await expect(collect(f.client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  test('bytes that are not a protobuf message at all', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    const err = await new Promise<unknown>((resolve) => {
      const call = raw.makeServerStreamRequest(
        '/event_store.client.streams.Streams/Read',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      );
      call.on('error', resolve);
      call.on('end', () => resolve(undefined));
      call.on('data', () => undefined);
    });
    raw.close();
    expect(statusOf(err)).not.toBe(grpc.status.OK);
    // Still serving.
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(1));
    expect(await collect(f.client.readStream(stream))).toHaveLength(1);
  });
});

test('names too long for the log are refused and the store keeps working', async () => {
  const long = 'a'.repeat(70_000);
  await expect(f.client.appendToStream(long, deposits(1))).rejects.toThrow();
  await expect(f.client.setStreamMetadata('x'.repeat(65_534), { maxCount: 1 })).rejects.toThrow();
  const stream = uniqueStream();
  await f.client.appendToStream(stream, deposits(1));
  expect(await collect(f.client.readStream(stream))).toHaveLength(1);
});

describe('the uuid option of a read', () => {
  const readIds = (options: InstanceType<typeof streamsPb.ReadReq.Options>): Promise<Array<InstanceType<typeof sharedPb.UUID>>> => {
    const client = new streamsGrpc.StreamsClient(address, grpc.credentials.createInsecure());
    return new Promise<Array<InstanceType<typeof sharedPb.UUID>>>((resolve, reject) => {
      const ids: Array<InstanceType<typeof sharedPb.UUID>> = [];
      const call = client.read(new streamsPb.ReadReq().setOptions(options));
      call.on('data', (r: InstanceType<typeof streamsPb.ReadResp>) => {
        const id = r.getEvent()?.getEvent()?.getId();
        if (id !== undefined) ids.push(id);
      });
      call.on('error', reject);
      call.on('end', () => resolve(ids));
    }).finally(() => client.close());
  };
  const halves = (id: string): [string, string] => {
    const hex = id.replace(/-/g, '');
    return [BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString(), BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString()];
  };

  test('structured: stream and $all reads answer ids as their two 64-bit halves', async () => {
    const stream = uniqueStream('uuid');
    await f.client.appendToStream(stream, deposits(2));
    const written = (await collect(f.client.readStream(stream))).map((e) => e.event!.id);
    const structured = new streamsPb.ReadReq.Options.UUIDOption().setStructured(new sharedPb.Empty());
    const base = () =>
      new streamsPb.ReadReq.Options()
        .setReadDirection(streamsPb.ReadReq.Options.ReadDirection.FORWARDS)
        .setResolveLinks(false)
        .setCount('100')
        .setNoFilter(new sharedPb.Empty())
        .setUuidOption(structured);
    const fromStream = await readIds(
      base().setStream(
        new streamsPb.ReadReq.Options.StreamOptions()
          .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream)))
          .setStart(new sharedPb.Empty()),
      ),
    );
    expect(fromStream.map((u) => u.hasStructured())).toEqual([true, true]);
    expect(fromStream.map((u) => [u.getStructured()!.getMostSignificantBits(), u.getStructured()!.getLeastSignificantBits()].map(String))).toEqual(
      written.map(halves),
    );
    const fromAll = await readIds(base().setAll(new streamsPb.ReadReq.Options.AllOptions().setStart(new sharedPb.Empty())));
    expect(fromAll.length).toBeGreaterThan(0);
    expect(fromAll.every((u) => u.hasStructured())).toBe(true);
    // The string option (what the 6.2 client sends) keeps text ids.
    const text = await readIds(
      base()
        .setUuidOption(new streamsPb.ReadReq.Options.UUIDOption().setString(new sharedPb.Empty()))
        .setAll(new streamsPb.ReadReq.Options.AllOptions().setStart(new sharedPb.Empty())),
    );
    expect(text.every((u) => u.hasString())).toBe(true);
  });
});
