/**
 * Requests @eventstore/db-client never sends (it validates first), sent raw
 * through the generated stubs the client ships: the server must answer a
 * status and keep serving.
 */
import * as grpc from '@grpc/grpc-js';
import persistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb.js';
import persistentPb from '@eventstore/db-client/generated/persistent_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { persistentSubscriptionToStreamSettingsFromDefaults as streamSettings } from '@eventstore/db-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, uniqueStream, type Running } from './persistent-fixture.js';

let env: Running;
let raw: InstanceType<typeof persistentGrpc.PersistentSubscriptionsClient>;
beforeAll(async () => {
  env = await startServer();
  raw = new persistentGrpc.PersistentSubscriptionsClient(`127.0.0.1:${env.server.port}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  raw.close();
  await env.stop();
});

interface Outcome {
  readonly code: grpc.status;
  readonly exception: string | undefined;
  readonly details: string;
}

function outcome(err: grpc.ServiceError | null): Outcome {
  if (!err) return { code: grpc.status.OK, exception: undefined, details: '' };
  const exception = err.metadata?.get('exception')[0];
  return { code: err.code, exception: typeof exception === 'string' ? exception : undefined, details: err.details };
}

const create = (req: InstanceType<typeof persistentPb.CreateReq>): Promise<Outcome> =>
  new Promise((resolve) => raw.create(req, (err) => resolve(outcome(err))));

function settings(): InstanceType<typeof persistentPb.CreateReq.Settings> {
  return new persistentPb.CreateReq.Settings().setReadBatchSize(20).setHistoryBufferSize(500).setLiveBufferSize(500).setMaxCheckpointCount(10).setMessageTimeoutMs(30_000);
}

function createToStream(stream: string, s = settings()): InstanceType<typeof persistentPb.CreateReq> {
  const options = new persistentPb.CreateReq.Options()
    .setGroupName('g')
    .setSettings(s)
    .setStream(new persistentPb.CreateReq.StreamOptions().setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream))).setStart(new sharedPb.Empty()));
  return new persistentPb.CreateReq().setOptions(options);
}

describe('malformed persistent-subscription requests', () => {
  it('a create without options answers INVALID_ARGUMENT', async () => {
    expect((await create(new persistentPb.CreateReq())).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('a create to an empty stream name answers persistent-subscription-failed ("Bad stream name.")', async () => {
    const o = await create(createToStream(''));
    expect(o).toMatchObject({ code: grpc.status.INTERNAL, exception: 'persistent-subscription-failed' });
    expect(o.details).toContain('Bad stream name.');
  });

  it('a create to $all through the stream options answers persistent-subscription-failed', async () => {
    expect(await create(createToStream('$all'))).toMatchObject({ code: grpc.status.INTERNAL, exception: 'persistent-subscription-failed' });
  });

  it('an unknown consumer strategy name answers persistent-subscription-failed', async () => {
    const o = await create(createToStream(uniqueStream('strategy'), settings().setConsumerStrategy('Nope')));
    expect(o).toMatchObject({ code: grpc.status.INTERNAL, exception: 'persistent-subscription-failed' });
    expect(o.details).toContain('Consumer strategy Nope does not exist.');
  });

  it('a $all filter with an invalid regex answers INVALID_ARGUMENT', async () => {
    const filter = new persistentPb.CreateReq.AllOptions.FilterOptions()
      .setStreamIdentifier(new persistentPb.CreateReq.AllOptions.FilterOptions.Expression().setRegex('(['))
      .setCount(new sharedPb.Empty())
      .setCheckpointintervalmultiplier(1);
    const all = new persistentPb.CreateReq.AllOptions().setStart(new sharedPb.Empty()).setFilter(filter);
    const req = new persistentPb.CreateReq().setOptions(new persistentPb.CreateReq.Options().setGroupName(uniqueStream('re')).setSettings(settings()).setAll(all));
    expect((await create(req)).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('a Read that starts with an ack instead of options answers INVALID_ARGUMENT', async () => {
    const call = raw.read();
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    call.write(new persistentPb.ReadReq().setAck(new persistentPb.ReadReq.Ack()));
    expect((await status).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('acks with malformed ids are ignored and the subscription keeps delivering', async () => {
    const stream = uniqueStream('badack');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings());
    const call = raw.read();
    call.on('error', () => undefined);
    const options = new persistentPb.ReadReq.Options()
      .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream)))
      .setGroupName('g')
      .setBufferSize(10)
      .setUuidOption(new persistentPb.ReadReq.Options.UUIDOption().setStructured(new sharedPb.Empty()));
    const received = new Promise<InstanceType<typeof persistentPb.ReadResp>>((resolve) =>
      call.on('data', (resp: InstanceType<typeof persistentPb.ReadResp>) => {
        if (resp.hasEvent()) resolve(resp);
      }),
    );
    call.write(new persistentPb.ReadReq().setOptions(options));
    call.write(new persistentPb.ReadReq().setAck(new persistentPb.ReadReq.Ack().setIdsList([new sharedPb.UUID().setString('not-a-uuid'), new sharedPb.UUID()])));
    await env.client.appendToStream(stream, [{ id: '6f1f0d4e-3c1a-4a8e-9a51-2d3c4b5a6f70', type: 'T', contentType: 'application/json', data: {}, metadata: undefined }]);
    const resp = await received;
    // Structured ids were asked for: the id comes back as two 64-bit halves.
    expect(resp.getEvent()?.getEvent()?.getId()?.hasStructured()).toBe(true);
    call.cancel();
  });

  it('delete, info and replay without options answer INVALID_ARGUMENT; a negative stopAt is refused', async () => {
    const del = await new Promise<Outcome>((resolve) => raw.delete(new persistentPb.DeleteReq(), (err) => resolve(outcome(err))));
    expect(del.code).toBe(grpc.status.INVALID_ARGUMENT);
    const info = await new Promise<Outcome>((resolve) => raw.getInfo(new persistentPb.GetInfoReq(), (err) => resolve(outcome(err))));
    expect(info.code).toBe(grpc.status.INVALID_ARGUMENT);
    const stream = uniqueStream('neg');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings());
    const replay = new persistentPb.ReplayParkedReq().setOptions(
      new persistentPb.ReplayParkedReq.Options().setGroupName('g').setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(stream))).setStopAt('-1'),
    );
    const o = await new Promise<Outcome>((resolve) => raw.replayParked(replay, (err) => resolve(outcome(err))));
    expect(o.exception).toBe('persistent-subscription-failed');
  });

  it('is still serving after all of the above', async () => {
    const stream = uniqueStream('alive');
    await env.client.createPersistentSubscriptionToStream(stream, 'g', streamSettings());
    expect((await env.client.getPersistentSubscriptionToStreamInfo(stream, 'g')).groupName).toBe('g');
  });
});
