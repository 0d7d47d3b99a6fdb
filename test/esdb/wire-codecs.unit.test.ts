import { describe, expect, test } from 'vitest';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';
import { decodeBatchAppendReq, encodeBatchAppendSuccess } from '../../src/esdb-server/streams/batch-append-codec.js';
import { encodeReadEvent } from '../../src/esdb-server/read-event-encoder.js';
import type { RecordedEvent } from '../../src/esdb-server/store/types.js';
import { uuidFrom } from '../../src/esdb-server/streams/decode-request.js';

// The hand-written codecs must agree byte-for-meaning with the generated
// google-protobuf classes the client uses.
describe('BatchAppendReq decoding', () => {
  test('reads what the generated classes write: correlation, options, events, is_final', () => {
    const options = new streamsPb.BatchAppendReq.Options()
      .setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from('account-1')))
      .setStreamPosition('41')
      .setDeadline(timestampPb.Timestamp.fromDate(new Date(1_700_000_000_123)));
    const event = new streamsPb.BatchAppendReq.ProposedMessage()
      .setId(new sharedPb.UUID().setString('5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11'))
      .setData(Buffer.from('{"amount":5}'))
      .setCustomMetadata(new Uint8Array([0, 1, 255]));
    event.getMetadataMap().set('type', 'MoneyDeposited');
    event.getMetadataMap().set('content-type', 'application/json');
    const req = new streamsPb.BatchAppendReq().setCorrelationId(new sharedPb.UUID().setString('c0ffee00-0000-4000-8000-000000000001')).setOptions(options);
    req.addProposedMessages(event);
    req.setIsFinal(true);

    const wire = decodeBatchAppendReq(Buffer.from(req.serializeBinary()));
    expect(wire.correlationId).toEqual({ string: 'c0ffee00-0000-4000-8000-000000000001' });
    expect(wire.isFinal).toBe(true);
    expect(wire.options?.streamName?.toString()).toBe('account-1');
    expect(wire.options?.expected).toEqual({ kind: 'exact', revision: 41n });
    expect(wire.options?.deadlineMs).toBe(1_700_000_000_123);
    expect(wire.proposed).toHaveLength(1);
    const p = wire.proposed[0]!;
    expect(p.id).toEqual({ string: '5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11' });
    expect(Object.fromEntries(p.metadata)).toEqual({ type: 'MoneyDeposited', 'content-type': 'application/json' });
    expect(Buffer.from(p.data).toString()).toBe('{"amount":5}');
    expect(Array.from(p.customMetadata)).toEqual([0, 1, 255]);
  });

  test('no_stream / stream_exists / any, and garbage that decodes to nothing', () => {
    const expectedOf = (set: (o: InstanceType<typeof streamsPb.BatchAppendReq.Options>) => void) => {
      const o = new streamsPb.BatchAppendReq.Options();
      set(o);
      return decodeBatchAppendReq(Buffer.from(new streamsPb.BatchAppendReq().setOptions(o).serializeBinary())).options?.expected;
    };
    expect(expectedOf((o) => o.setNoStream(new emptyPb.Empty()))).toEqual({ kind: 'no_stream' });
    expect(expectedOf((o) => o.setStreamExists(new emptyPb.Empty()))).toEqual({ kind: 'stream_exists' });
    expect(expectedOf((o) => o.setAny(new emptyPb.Empty()))).toEqual({ kind: 'any' });
    expect(decodeBatchAppendReq(Buffer.from([0xff, 0xff, 0xff]))).toMatchObject({ correlationId: undefined, proposed: [] });
  });
});

describe('hand-encoded answers', () => {
  test('a BatchAppend success reads back through the generated class', () => {
    const bytes = encodeBatchAppendSuccess('c0ffee00-0000-4000-8000-000000000001', 'account-1', { kind: 'exact', revision: 0n }, 0n, 123_456n);
    const resp = streamsPb.BatchAppendResp.deserializeBinary(bytes);
    expect(resp.getCorrelationId()?.getString()).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(resp.hasSuccess()).toBe(true);
    expect(resp.getSuccess()?.hasCurrentRevision()).toBe(true);
    expect(resp.getSuccess()?.getCurrentRevision()).toBe('0');
    expect(resp.getSuccess()?.getPosition()?.getCommitPosition()).toBe('123456');
    expect(Buffer.from(resp.getStreamIdentifier()!.getStreamName_asU8()).toString()).toBe('account-1');
    expect(resp.getStreamPosition()).toBe('0');
  });

  test('a read event (with its link) reads back through the generated class', () => {
    const target: RecordedEvent = {
      streamId: 'account-1',
      revision: 7n,
      position: 70n,
      eventId: '5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11',
      type: 'MoneyDeposited',
      contentType: 'application/json',
      data: Buffer.from('{"amount":5}'),
      metadata: new Uint8Array([1, 2]),
      created: 17_000_000_000_000_000n,
    };
    const link: RecordedEvent = { ...target, streamId: '$ce-account', revision: 9_223_372_036_854_775_807n, position: 71n, type: '$>', metadata: new Uint8Array(0) };
    const resp = streamsPb.ReadResp.deserializeBinary(encodeReadEvent({ event: target, link, commitPosition: 71n }, { structuredIds: false, framed: false }));
    const e = resp.getEvent()!;
    expect(e.getCommitPosition()).toBe('71');
    const r = e.getEvent()!;
    expect(r.getId()?.getString()).toBe(target.eventId);
    expect(Buffer.from(r.getStreamIdentifier()!.getStreamName_asU8()).toString()).toBe('account-1');
    expect(r.getStreamRevision()).toBe('7');
    expect(r.getCommitPosition()).toBe('70');
    expect(r.getMetadataMap().get('type')).toBe('MoneyDeposited');
    expect(r.getMetadataMap().get('content-type')).toBe('application/json');
    expect(r.getMetadataMap().get('created')).toBe('17000000000000000');
    expect(Buffer.from(r.getData_asU8()).toString()).toBe('{"amount":5}');
    expect(Array.from(r.getCustomMetadata_asU8())).toEqual([1, 2]);
    expect(e.getLink()?.getStreamRevision()).toBe('9223372036854775807');
  });
});

describe('event ids given as text', () => {
  const id = '5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11';
  test('a canonical id is kept; upper-case hex is lowered; the structured form gives the same text', () => {
    expect(uuidFrom({ string: id })).toBe(id);
    expect(uuidFrom({ string: id.toUpperCase() })).toBe(id);
    expect(uuidFrom({ string: 'ABCDEF01-2345-6789-aBcD-EF0123456789' })).toBe('abcdef01-2345-6789-abcd-ef0123456789');
    expect(uuidFrom({ most: 0x5a8e7e4c2b7f4d0en, least: BigInt.asIntN(64, 0x9d7a0b3c1f6e9a11n) })).toBe(id);
  });
  test.each([
    ['empty', ''],
    ['one short', id.slice(1)],
    ['one long', `${id}0`],
    ['hyphen moved', '5a8e7e4-c2b7f-4d0e-9d7a-0b3c1f6e9a11'],
    ['no hyphens', '5a8e7e4c02b7f04d0e09d7a00b3c1f6e9a11'],
    ['g is not hex', '5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a1g'],
    ['G is not hex', 'Ga8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11'],
    ['braces', `{${id.slice(1, 35)}}`],
    ['a character just past 9', '5a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a1:'],
    ['a character just before A', '@a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11'],
    ['a character just before a', '`a8e7e4c-2b7f-4d0e-9d7a-0b3c1f6e9a11'],
  ])('refuses %s with INVALID_ARGUMENT naming the id', (_name, text) => {
    expect(() => uuidFrom({ string: text })).toThrow(expect.objectContaining({ rpc: expect.objectContaining({ code: 3, details: `Invalid event id '${text}'` }) }));
  });
});
