/**
 * The hand-written BatchAppend codec against the generated google-protobuf
 * classes @eventstore/db-client ships: requests must read back, field by
 * field, as the client's would; answers the generated classes write must
 * decode to the same revisions, positions and refusal details.
 */
import { binaryEvent, jsonEvent, type AppendExpectedRevision } from '@eventstore/db-client';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import { describe, expect, test } from 'vitest';
import { decodeBatchAppendResp, encodeBatchAppend } from '../../src/eventstore/batch-append-codec.js';

const CORRELATION = '3f0b6a56-0c3e-4c55-9f3b-6a3c2a1d9e10';
const deadline = Date.UTC(2026, 10, 29, 12, 0, 0, 250);
const read = (b: Buffer) => streamsPb.BatchAppendReq.deserializeBinary(new Uint8Array(b));

describe('encodeBatchAppend', () => {
  const events = [
    jsonEvent({ id: '0b3d5a3e-8f7e-4c41-9f0e-1d6a5b2c3e4f', type: 'MoneyDeposited', data: { amount: 5, note: 'é' }, metadata: { by: 'x' } }),
    binaryEvent({ id: '7c1e2a9b-1111-4c41-8f0e-1d6a5b2c3e4f', type: 'Blob', data: new Uint8Array([0, 255]), metadata: new Uint8Array([1, 2]) }),
    jsonEvent({ id: '9a9a9a9a-2222-4c41-8f0e-1d6a5b2c3e4f', type: 'NoMetadata', data: {} }),
  ];

  test.each<[AppendExpectedRevision, string]>([
    [17n, 'streamPosition'],
    [18_446_744_073_709_551_000n, 'streamPosition'],
    ['no_stream', 'noStream'],
    ['any', 'any'],
    ['stream_exists', 'streamExists'],
  ])('one chunk carries the options (expecting %s), the events and is final', (expected, field) => {
    const [chunk, ...more] = encodeBatchAppend(CORRELATION, 'account-é1', expected, deadline, events, 3 * 1024 * 1024);
    expect(more).toEqual([]);
    const req = read(chunk!);
    expect(req.getCorrelationId()?.getString()).toBe(CORRELATION);
    expect(req.getIsFinal()).toBe(true);
    const o = req.getOptions()!;
    expect(Buffer.from(o.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8')).toBe('account-é1');
    expect(o.getDeadline()?.toDate().getTime()).toBe(deadline);
    const options = o.toObject() as unknown as Record<string, unknown>;
    expect(options[field]).toEqual(typeof expected === 'bigint' ? expected.toString() : {});
    const proposed = req.getProposedMessagesList().map((m) => ({
      id: m.getId()?.getString(),
      metadata: Object.fromEntries(m.getMetadataMap().getEntryList()),
      custom: Buffer.from(m.getCustomMetadata_asU8()).toString('hex'),
      data: Buffer.from(m.getData_asU8()).toString('hex'),
    }));
    expect(proposed).toEqual([
      { id: events[0]!.id, metadata: { type: 'MoneyDeposited', 'content-type': 'application/json' }, custom: Buffer.from('{"by":"x"}').toString('hex'), data: Buffer.from('{"amount":5,"note":"é"}').toString('hex') },
      { id: events[1]!.id, metadata: { type: 'Blob', 'content-type': 'application/octet-stream' }, custom: '0102', data: '00ff' },
      { id: events[2]!.id, metadata: { type: 'NoMetadata', 'content-type': 'application/json' }, custom: '', data: Buffer.from('{}').toString('hex') },
    ]);
  });

  test('an event JSON cannot hold throws, and the next append encodes whole (the writers are shared)', () => {
    const bad = jsonEvent({ id: events[0]!.id, type: 'Bad', data: { amount: 1n } as never });
    expect(() => encodeBatchAppend(CORRELATION, 's', 'any', deadline, [events[0]!, bad], 3 * 1024 * 1024)).toThrow(TypeError);
    const [chunk] = encodeBatchAppend(CORRELATION, 's', 'any', deadline, [events[2]!], 3 * 1024 * 1024);
    const req = read(chunk!);
    expect(req.getCorrelationId()?.getString()).toBe(CORRELATION);
    expect(req.getProposedMessagesList().map((m) => m.getId()?.getString())).toEqual([events[2]!.id]);
    expect(req.getIsFinal()).toBe(true);
  });

  test('events over the chunk size go in further chunks: options only in the first, is_final only on the last', () => {
    const big = Array.from({ length: 5 }, (_, i) => binaryEvent({ id: `00000000-0000-4000-8000-00000000000${i}`, type: 'Blob', data: new Uint8Array(400) }));
    const chunks = encodeBatchAppend(CORRELATION, 's', 'any', deadline, big, 1_000).map(read);
    expect(chunks.map((c) => c.getProposedMessagesList().length)).toEqual([2, 2, 1]);
    expect(chunks.map((c) => c.hasOptions())).toEqual([true, false, false]);
    expect(chunks.map((c) => c.getIsFinal())).toEqual([false, false, true]);
    expect(chunks.map((c) => c.getCorrelationId()?.getString())).toEqual([CORRELATION, CORRELATION, CORRELATION]);
    expect(chunks.flatMap((c) => c.getProposedMessagesList().map((m) => m.getId()?.getString()))).toEqual(big.map((e) => e.id));
  });
});

describe('decodeBatchAppendResp', () => {
  const resp = () => new streamsPb.BatchAppendResp().setCorrelationId(new sharedPb.UUID().setString(CORRELATION));
  const decode = (r: InstanceType<typeof streamsPb.BatchAppendResp>) => decodeBatchAppendResp(Buffer.from(r.serializeBinary()));
  const refused = (typeName: string, body: Uint8Array) => {
    const any = new anyPb.Any();
    any.pack(body, typeName);
    return resp().setError(new statusPb.Status().setCode(9).setMessage('refused').setDetails(any));
  };

  test('a success: the correlation id, the stream revision and the position', () => {
    const success = new streamsPb.BatchAppendResp.Success()
      .setCurrentRevision('18446744073709551000')
      .setPosition(new sharedPb.AllStreamPosition().setCommitPosition('9007199254740993').setPreparePosition('12'));
    expect(decode(resp().setSuccess(success))).toEqual({ kind: 'success', correlationId: CORRELATION, revision: 18_446_744_073_709_551_000n, position: { commit: 9_007_199_254_740_993n, prepare: 12n } });
  });

  test('a structured correlation id (two signed 64-bit halves) reads as its text form', () => {
    const signed = (hex: string) => BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
    const structured = new sharedPb.UUID().setStructured(new sharedPb.UUID.Structured().setMostSignificantBits(signed('3f0b6a560c3e4c55')).setLeastSignificantBits(signed('9f3b6a3c2a1d9e10')));
    const r = new streamsPb.BatchAppendResp().setCorrelationId(structured).setSuccess(new streamsPb.BatchAppendResp.Success().setCurrentRevision('0'));
    expect(decode(r).correlationId).toBe(CORRELATION);
  });

  test.each<[string, (w: InstanceType<typeof sharedPb.WrongExpectedVersion>) => void, { current: bigint | 'no_stream'; expected: AppendExpectedRevision }]>([
    ['exact, at a revision', (w) => w.setCurrentStreamRevision('4').setExpectedStreamPosition('1'), { current: 4n, expected: 1n }],
    ['no stream expected, exists', (w) => w.setCurrentStreamRevision('0').setExpectedNoStream(new emptyPb.Empty()), { current: 0n, expected: 'no_stream' }],
    ['stream_exists, none', (w) => w.setCurrentNoStream(new emptyPb.Empty()).setExpectedStreamExists(new emptyPb.Empty()), { current: 'no_stream', expected: 'stream_exists' }],
    ['any', (w) => w.setCurrentNoStream(new emptyPb.Empty()).setExpectedAny(new emptyPb.Empty()), { current: 'no_stream', expected: 'any' }],
  ])('WrongExpectedVersion (%s): the current and expected revisions', (_, fill, want) => {
    const w = new sharedPb.WrongExpectedVersion();
    fill(w);
    const a = decode(refused('event_store.client.WrongExpectedVersion', w.serializeBinary()));
    expect(a).toMatchObject({ kind: 'error', correlationId: CORRELATION, code: 9, message: 'refused', detail: 'event_store.client.WrongExpectedVersion', wrongExpectedVersion: want });
  });

  test('other refusals: the detail type and MaximumAppendSizeExceeded size', () => {
    expect(decode(refused('event_store.client.StreamDeleted', new sharedPb.StreamDeleted().serializeBinary()))).toMatchObject({ detail: 'event_store.client.StreamDeleted', wrongExpectedVersion: undefined });
    expect(decode(refused('event_store.client.MaximumAppendSizeExceeded', new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(1_048_576).serializeBinary()))).toMatchObject({ maxAppendSize: 1_048_576 });
  });

  test('bytes that are not an answer throw', () => {
    expect(() => decodeBatchAppendResp(Buffer.from([0x0a, 0x05, 0x01]))).toThrow(RangeError);
    expect(() => decodeBatchAppendResp(Buffer.alloc(0))).toThrow(RangeError);
  });
});
