import { describe, expect, test } from 'vitest';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { convertGrpcEvent } from '@eventstore/db-client/dist/utils/convertGrpcEvent.js';
import { decodeReadMessage } from '../../src/eventstore/rebuild-read-codec.js';

const { ReadResp } = streamsPb;
type Recorded = InstanceType<typeof ReadResp.ReadEvent.RecordedEvent>;

/** A ReadResp{event} built with the client's own generated classes, as a server would send it. */
function recorded(opts: {
  stream?: string; revision?: string; position?: string; contentType?: string;
  data?: string | Uint8Array; metadata?: string; id?: InstanceType<typeof sharedPb.UUID>;
} = {}): Recorded {
  const r = new ReadResp.ReadEvent.RecordedEvent()
    .setId(opts.id ?? new sharedPb.UUID().setString('5f0e7c4e-2b1a-4c1f-9a55-1b8f3c2d4e6f'))
    .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(opts.stream ?? 'account-a1')))
    .setStreamRevision(opts.revision ?? '7')
    .setPreparePosition(opts.position ?? '123456')
    .setCommitPosition(opts.position ?? '123456')
    .setData(typeof opts.data === 'string' || opts.data === undefined ? Buffer.from(opts.data ?? '{"amount":"3"}') : opts.data);
  if (opts.metadata !== undefined) r.setCustomMetadata(Buffer.from(opts.metadata));
  r.getMetadataMap().set('type', 'MoneyDeposited').set('content-type', opts.contentType ?? 'application/json').set('created', '17640811234567890');
  return r;
}

const wire = (event: Recorded) => {
  const readEvent = new ReadResp.ReadEvent().setEvent(event).setCommitPosition(event.getCommitPosition());
  const bytes = Buffer.from(new ReadResp().setEvent(readEvent).serializeBinary());
  // What the client makes of the same bytes.
  const received = ReadResp.deserializeBinary(bytes).getEvent();
  return { bytes, client: received && convertGrpcEvent(received).event };
};

describe('decodeReadMessage', () => {
  test.each([
    ['a JSON event with metadata', {}, { metadata: '{"occurred_at":"2026-11-25T10:00:00.000Z","command_id":"c"}' }],
    ['no metadata', {}, {}],
    ['data that is not JSON (kept as the string)', {}, { data: '{"amount":' }],
    ['metadata that is not JSON (kept as bytes)', {}, { metadata: 'not json' }],
    ['revision and positions past 2^53', {}, { revision: '18446744073709551615', position: '9007199254740993' }],
    ['revision 0 and position 0 (omitted on the wire)', {}, { revision: '0', position: '0' }],
    ['a structured UUID', {}, { id: new sharedPb.UUID().setStructured(new sharedPb.UUID.Structured().setMostSignificantBits('6849548758449540127').setLeastSignificantBits('-7325918916844368273')) }],
    ['a multi-byte stream name', {}, { stream: 'account-ä€😀' }],
  ])('%s: the same values as the client', (_name, _unused, opts) => {
    const { bytes, client } = wire(recorded(opts));
    const m = decodeReadMessage(bytes);
    expect(m.kind).toBe('event');
    if (m.kind !== 'event' || !client) throw new Error('expected an event');
    expect(m.position).toEqual(client.position);
    expect(m.event).toEqual({
      eventId: client.id, streamId: client.streamId, revision: client.revision, commitPosition: client.position?.commit,
      type: client.type, data: client.data, metadata: client.metadata, created: client.created,
    });
  });

  test('records the rebuild skips still carry their position', () => {
    for (const opts of [{ stream: '$ce-account' }, { stream: 'snapshot-a1' }, { contentType: 'application/octet-stream' }]) {
      const m = decodeReadMessage(wire(recorded({ ...opts, position: '42' })).bytes);
      expect(m).toEqual({ kind: 'event', event: undefined, position: { commit: 42n, prepare: 42n } });
    }
  });

  test('checkpoint, caught up, fell behind, and the rest', () => {
    const bytes = (r: InstanceType<typeof ReadResp>) => Buffer.from(r.serializeBinary());
    expect(decodeReadMessage(bytes(new ReadResp().setCheckpoint(new ReadResp.Checkpoint().setCommitPosition('900').setPreparePosition('899')))))
      .toEqual({ kind: 'checkpoint', position: { commit: 900n, prepare: 899n } });
    expect(decodeReadMessage(bytes(new ReadResp().setCaughtUp(new ReadResp.CaughtUp())))).toEqual({ kind: 'caughtUp' });
    expect(decodeReadMessage(bytes(new ReadResp().setFellBehind(new ReadResp.FellBehind())))).toEqual({ kind: 'fellBehind' });
    expect(decodeReadMessage(bytes(new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId('s'))))).toEqual({ kind: 'other' });
  });

  test('a truncated message throws (the call then fails and the rebuild resumes from its recorded position)', () => {
    const { bytes } = wire(recorded());
    expect(() => decodeReadMessage(bytes.subarray(0, bytes.length - 5))).toThrow(RangeError);
  });
});
