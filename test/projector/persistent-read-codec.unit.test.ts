import { describe, expect, test } from 'vitest';
import persistentPb from '@eventstore/db-client/generated/persistent_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { EventStoreDBClient } from '@eventstore/db-client';
import { convertPersistentSubscriptionGrpcEvent } from '@eventstore/db-client/dist/utils/convertGrpcEvent.js';
import { decodePersistentReadMessage } from '../../src/eventstore/persistent-read-codec.js';
import { internalsOf } from '../../src/eventstore/client-internals.js';
import { recordedEventPb, type RecordedEventOptions } from '../support/recorded-event-pb.js';

const { ReadResp } = persistentPb;
type Recorded = InstanceType<typeof ReadResp.ReadEvent.RecordedEvent>;
type ReadEvent = InstanceType<typeof ReadResp.ReadEvent>;

const recorded = (opts: RecordedEventOptions = {}): Recorded => recordedEventPb(ReadResp.ReadEvent.RecordedEvent, opts);

const readEvent = (event: Recorded | undefined, more: { link?: Recorded; retryCount?: number; noPosition?: boolean } = {}): ReadEvent => {
  const e = new ReadResp.ReadEvent();
  if (event) e.setEvent(event);
  if (more.link) e.setLink(more.link);
  if (more.noPosition) e.setNoPosition(new sharedPb.Empty());
  else e.setCommitPosition((event ?? more.link)?.getCommitPosition() ?? '0');
  if (more.retryCount === undefined) e.setNoRetryCount(new sharedPb.Empty());
  else e.setRetryCount(more.retryCount);
  return e;
};

/** The bytes, and what the client (6.x) makes of the same bytes, in the shape AccountSubscription hands out. */
const wire = (e: ReadEvent) => {
  const bytes = Buffer.from(new ReadResp().setEvent(e).serializeBinary());
  const received = ReadResp.deserializeBinary(bytes).getEvent();
  const resolved = received && convertPersistentSubscriptionGrpcEvent(received);
  const ev = resolved?.event;
  const client = ev === undefined ? undefined : {
    kind: 'event',
    ackId: resolved?.link?.id ?? ev.id,
    retryCount: resolved?.retryCount,
    stored: {
      eventId: ev.id, streamId: ev.streamId, revision: ev.revision, commitPosition: resolved?.commitPosition ?? ev.position?.commit,
      type: ev.type, data: ev.data, metadata: ev.metadata, created: ev.created,
    },
  };
  return { bytes, client };
};

describe('decodePersistentReadMessage: the values the installed client gives for the same bytes', () => {
  test.each([
    ['a JSON account event with metadata, retried twice', recorded({ metadata: '{"occurred_at":"2026-11-25T10:00:00.000Z","command_id":"c"}' }), { retryCount: 2 }],
    ['no metadata, no retry count', recorded(), {}],
    ['a transfer stream event', recorded({ stream: 'transfer-t1', type: 'TransferCompleted', data: '{"transferId":"t1"}' }), { retryCount: 0 }],
    ['data that is not JSON (kept as the string)', recorded({ data: '{"amount":' }), {}],
    ['binary data (kept as bytes)', recorded({ contentType: 'application/octet-stream', data: new Uint8Array([0, 1, 2, 250]) }), {}],
    ['metadata that is not JSON (kept as bytes)', recorded({ metadata: 'not json' }), {}],
    ['revision and positions past 2^53', recorded({ revision: '18446744073709551615', position: '9007199254740993' }), {}],
    ['revision 0 and position 0 (omitted on the wire)', recorded({ revision: '0', position: '0' }), {}],
    ['no position (the event\'s own is used)', recorded({ position: '77' }), { noPosition: true }],
    ['a structured UUID', recorded({ id: new sharedPb.UUID().setStructured(new sharedPb.UUID.Structured().setMostSignificantBits('6849548758449540127').setLeastSignificantBits('-7325918916844368273')) }), {}],
    ['a replayed parked message (settled by its link\'s id)', recorded(), { link: recorded({ stream: '$persistentsubscription-$all::g-parked', id: new sharedPb.UUID().setString('0b5c1e2f-0000-4000-8000-000000000001'), type: '$>' }), retryCount: 1 }],
    ['a multi-byte stream name', recorded({ stream: 'account-ä€😀' }), {}],
  ])('%s', (_name, event, more) => {
    const { bytes, client } = wire(readEvent(event, more));
    expect(client).toBeDefined();
    expect(decodePersistentReadMessage(bytes)).toEqual(client);
  });

  test('a link without its event is skipped, as the client\'s consumers skip it', () => {
    const { bytes, client } = wire(readEvent(undefined, { link: recorded() }));
    expect(client).toBeUndefined();
    expect(decodePersistentReadMessage(bytes)).toEqual({ kind: 'other' });
  });

  test('the confirmation carries the subscription id', () => {
    const bytes = Buffer.from(new ReadResp().setSubscriptionConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId('$all::g')).serializeBinary());
    expect(decodePersistentReadMessage(bytes)).toEqual({ kind: 'confirmation', subscriptionId: '$all::g' });
  });

  test('a truncated message throws (the call fails and the consumer reconnects; nothing was acked)', () => {
    const { bytes } = wire(readEvent(recorded()));
    expect(() => decodePersistentReadMessage(bytes.subarray(0, bytes.length - 5))).toThrow(RangeError);
  });

  test('the installed client still has the internals the lean call is opened through', () => {
    const client = EventStoreDBClient.connectionString('esdb://127.0.0.1:1?tls=false');
    const internals = internalsOf(client);
    expect(typeof internals.GRPCStreamCreator).toBe('function');
    expect(internals.callArguments({}, {})[0].constructor.name).toBe('Metadata');
    void client.dispose();
  });
});
