/**
 * The hand-written persistent Read codecs against the generated classes
 * @eventstore/db-client ships: a delivery must encode to the same bytes as
 * the google-protobuf message, and an ack or nack must decode to the same
 * ids, action and reason.
 */
import { describe, expect, it } from 'vitest';
import { encodeReadEvent } from '../../src/esdb-server/read-event-encoder.js';
import { FRAME_HEADER } from '../../src/esdb-server/grpc-frames.js';
import type { GroupMessage } from '../../src/esdb-server/persistent/group-message.js';
import { pb, shared } from '../../src/esdb-server/persistent/proto.js';
import { readEvent, uuidMessage, uuidText } from '../../src/esdb-server/persistent/read-event.js';
import { decodeSettle } from '../../src/esdb-server/persistent/settle-decoder.js';
import type { RecordedEvent } from '../../src/esdb-server/store/types.js';

const recorded = (over: Partial<RecordedEvent> = {}): RecordedEvent => ({
  streamId: 'account-42',
  revision: 7n,
  position: 1234n,
  eventId: '6f1f0d4e-3c1a-4a8e-9a51-2d3c4b5a6f70',
  type: 'MoneyDeposited',
  contentType: 'application/json',
  data: Buffer.from('{"amount":100}'),
  metadata: Buffer.from('{"$correlationId":"c-1"}'),
  created: 17_000_000_000_000_000n,
  ...over,
});

const link = recorded({ streamId: '$ce-account', revision: 0n, position: 0n, type: '$>', eventId: 'ffffffff-ffff-ffff-8000-000000000000', data: Buffer.from('7@account-42'), metadata: new Uint8Array() });

const cases: Record<string, GroupMessage> = {
  plain: { event: { event: recorded(), link: undefined, commitPosition: 1234n }, id: 'x', retryCount: 0, seq: 0 },
  'link resolved, retried': { event: { event: recorded(), link, commitPosition: 99n }, id: 'x', retryCount: 3, seq: 1 },
  'unresolved link only': { event: { event: undefined, link, commitPosition: 0n }, id: 'x', retryCount: 200, seq: undefined },
  'zero revision and position, empty data and metadata': {
    event: { event: recorded({ revision: 0n, position: 0n, data: new Uint8Array(), metadata: new Uint8Array() }), link: undefined, commitPosition: 0n },
    id: 'x',
    retryCount: 0,
    seq: 0,
  },
  'non-ASCII names, large values': {
    event: {
      event: recorded({ streamId: 'compte-é✓', type: 'Überweisung', revision: 2n ** 62n, position: 2n ** 63n - 1n, data: Buffer.alloc(300, 7), created: 2n ** 60n }),
      link: undefined,
      commitPosition: 2n ** 63n - 1n,
    },
    id: 'x',
    retryCount: 20_000,
    seq: 0,
  },
  'empty stream name, all-zero id': {
    event: { event: recorded({ streamId: '', eventId: '00000000-0000-0000-0000-000000000000' }), link: undefined, commitPosition: 5n },
    id: 'x',
    retryCount: 1,
    seq: 0,
  },
};

describe('encodeDelivery', () => {
  for (const [name, message] of Object.entries(cases)) {
    for (const structured of [false, true]) {
      it(`${name}, ${structured ? 'structured' : 'string'} ids: the generated class's bytes, framed`, () => {
        const expected = Buffer.from(new pb.ReadResp().setEvent(readEvent(message, structured)).serializeBinary());
        const frame = encodeReadEvent(message.event, { structuredIds: structured, retryCount: message.retryCount, framed: true });
        expect(frame[0]).toBe(0);
        expect(frame.readUInt32BE(1)).toBe(expected.length);
        expect(frame.subarray(FRAME_HEADER).toString('hex')).toBe(expected.toString('hex'));
      });
    }
  }
});

describe('decodeSettle', () => {
  const ids = ['6f1f0d4e-3c1a-4a8e-9a51-2d3c4b5a6f70', 'FFFFFFFF-FFFF-FFFF-8000-000000000000', '00000000-0000-0000-0000-000000000001'];
  const reference = (bytes: Uint8Array) => {
    const req = pb.ReadReq.deserializeBinary(bytes);
    const ack = req.getAck();
    if (ack) return { kind: 'ack', ids: ack.getIdsList().flatMap((id) => uuidText(id) ?? []), action: 0, reason: '' };
    const nack = req.getNack();
    if (nack) return { kind: 'nack', ids: nack.getIdsList().flatMap((id) => uuidText(id) ?? []), action: nack.getAction(), reason: nack.getReason() };
    return undefined;
  };

  for (const structured of [false, true]) {
    const uuids = () => [...ids.map((id) => uuidMessage(id.toLowerCase(), structured)), new shared.UUID().setString(ids[1] ?? ''), new shared.UUID(), new shared.UUID().setString('not-a-uuid')];

    it(`an ack with many ${structured ? 'structured' : 'string'} ids reads as the generated class reads it`, () => {
      const bytes = new pb.ReadReq().setAck(new pb.ReadReq.Ack().setId(Buffer.from('sub')).setIdsList(uuids())).serializeBinary();
      const got = decodeSettle(Buffer.from(bytes));
      expect(got).toEqual(reference(bytes));
      expect(got?.ids.slice(0, 3)).toEqual(ids.map((id) => id.toLowerCase()));
    });

    it(`nacks of every action with ${structured ? 'structured' : 'string'} ids read as the generated class reads them`, () => {
      for (const action of [0, 1, 2, 3, 4]) {
        const nack = new pb.ReadReq.Nack().setIdsList(uuids()).setAction(action).setReason(`reason ${action}`);
        const bytes = new pb.ReadReq().setNack(nack).serializeBinary();
        expect(decodeSettle(Buffer.from(bytes))).toEqual(reference(bytes));
      }
    });
  }

  it('leaves options, empty requests, non-ASCII text and malformed bytes to the generated class', () => {
    const options = new pb.ReadReq().setOptions(new pb.ReadReq.Options().setGroupName('g')).serializeBinary();
    expect(decodeSettle(Buffer.from(options))).toBeUndefined();
    expect(decodeSettle(Buffer.alloc(0))).toBeUndefined();
    const nonAscii = new pb.ReadReq().setNack(new pb.ReadReq.Nack().setReason('déjà vu')).serializeBinary();
    expect(decodeSettle(Buffer.from(nonAscii))).toBeUndefined();
    const ack = Buffer.from(new pb.ReadReq().setAck(new pb.ReadReq.Ack().setIdsList([uuidMessage(ids[0] ?? '', false)])).serializeBinary());
    expect(decodeSettle(ack.subarray(0, ack.length - 3))).toBeUndefined();
    expect(decodeSettle(Buffer.concat([ack, Buffer.from(options)]))).toBeUndefined();
  });
});
