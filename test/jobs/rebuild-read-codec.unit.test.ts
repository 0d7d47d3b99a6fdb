import { describe, expect, test } from 'vitest';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { convertGrpcEvent } from '@eventstore/db-client/dist/utils/convertGrpcEvent.js';
import { decodeReadMessage } from '../../src/eventstore/rebuild-read-codec.js';
import { recordedEventPb, type RecordedEventOptions } from '../support/recorded-event-pb.js';

const { ReadResp } = streamsPb;
type Recorded = InstanceType<typeof ReadResp.ReadEvent.RecordedEvent>;

const recorded = (opts: RecordedEventOptions = {}): Recorded => recordedEventPb(ReadResp.ReadEvent.RecordedEvent, opts);

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
