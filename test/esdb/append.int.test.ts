import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { v4 as uuid } from 'uuid';
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  MaxAppendSizeExceededError,
  binaryEvent,
  jsonEvent,
  createdResolutionMs,
  expecting,
  versionsOf,
} from './client-under-test.js';
import { UNARY_APPEND, collect, deposits, startFixture, uniqueStream, type EsdbFixture } from './esdb-fixture.js';

let f: EsdbFixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(() => f.close());

// Every behaviour is checked through both RPCs the client may pick.
describe.each([
  ['BatchAppend', {}],
  ['Append', UNARY_APPEND],
])('%s', (_rpc, via) => {
  test('revisions start at 0 and the result reports the last one', async () => {
    const stream = uniqueStream('account');
    const first = await f.client.appendToStream(stream, deposits(3), { ...via, ...expecting(NO_STREAM) });
    expect(first.nextExpectedRevision).toBe(2n);
    const second = await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(2n) });
    expect(second.nextExpectedRevision).toBe(3n);
    expect(second.position!.commit).toBeGreaterThan(first.position!.commit);
    const events = await collect(f.client.readStream(stream));
    expect(events.map((e) => e.event?.revision)).toEqual([0n, 1n, 2n, 3n]);
    expect(events[3]!.event!.position).toEqual(second.position);
  });

  test('a wrong exact revision fails with the actual revision', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(2), via);
    const err = await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(5n) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongExpectedVersionError);
    expect(versionsOf(err).actual).toBe(1n);
    expect(versionsOf(err).expected).toBe(5n);
    expect((err as WrongExpectedVersionError).streamName).toBe(stream);
    expect(await collect(f.client.readStream(stream))).toHaveLength(2);
  });

  test('no_stream on an existing stream and stream_exists on a missing one both fail', async () => {
    const stream = uniqueStream();
    const missing = await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(STREAM_EXISTS) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(WrongExpectedVersionError);
    expect(versionsOf(missing).actual).toBe('no_stream');
    await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(NO_STREAM) });
    const exists = await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(NO_STREAM) }).catch((e: unknown) => e);
    expect(exists).toBeInstanceOf(WrongExpectedVersionError);
    expect(versionsOf(exists).actual).toBe(0n);
    const ok = await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(STREAM_EXISTS) });
    expect(ok.nextExpectedRevision).toBe(1n);
  });

  test('repeating an append with the same event ids and expected revision writes nothing new', async () => {
    const stream = uniqueStream();
    const events = deposits(3);
    const first = await f.client.appendToStream(stream, events, { ...via, ...expecting(NO_STREAM) });
    const again = await f.client.appendToStream(stream, events, { ...via, ...expecting(NO_STREAM) });
    expect(again.nextExpectedRevision).toBe(first.nextExpectedRevision);
    const anyAgain = await f.client.appendToStream(stream, events, { ...via, ...expecting(ANY) });
    expect(anyAgain.nextExpectedRevision).toBe(2n);
    expect(await collect(f.client.readStream(stream))).toHaveLength(3);
  });

  test('dedupe covers only a retry: the same ids at the current revision are appended again', async () => {
    const stream = uniqueStream();
    const events = deposits(2);
    await f.client.appendToStream(stream, events, { ...via, ...expecting(NO_STREAM) });
    await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(1n) });
    const again = await f.client.appendToStream(stream, events, { ...via, ...expecting(2n) });
    expect(again.nextExpectedRevision).toBe(4n);
    expect(await collect(f.client.readStream(stream))).toHaveLength(5);
  });

  test('json and binary events, ids, metadata bytes and created time come back as written', async () => {
    const stream = uniqueStream();
    const id = uuid();
    const rawMeta = new Uint8Array([0, 255, 1, 2, 3]);
    const before = Date.now();
    await f.client.appendToStream(
      stream,
      [
        jsonEvent({ id, type: 'AccountOpened', data: { owner: 'ana', currency: 'EUR' }, metadata: { command_id: 'c-1' } }),
        binaryEvent({ type: 'Blob', data: new Uint8Array([9, 8, 7]), metadata: rawMeta }),
      ],
      via,
    );
    const [json, bin] = await collect(f.client.readStream(stream));
    expect(json!.event).toMatchObject({ id, type: 'AccountOpened', isJson: true, data: { owner: 'ana', currency: 'EUR' }, metadata: { command_id: 'c-1' } });
    expect(json!.event!.created.getTime()).toBeGreaterThanOrEqual(Math.floor(before / createdResolutionMs) * createdResolutionMs - 1);
    expect(json!.event!.created.getTime()).toBeLessThanOrEqual(Date.now());
    expect(bin!.event!.isJson).toBe(false);
    expect(Array.from(bin!.event!.data as Uint8Array)).toEqual([9, 8, 7]);
    expect(Array.from(bin!.event!.metadata as Uint8Array)).toEqual([0, 255, 1, 2, 3]);
  });

  test('appending to a tombstoned stream fails with StreamDeletedError', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(1), via);
    await f.client.tombstoneStream(stream);
    const err = await f.client.appendToStream(stream, deposits(1), via).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamDeletedError);
    expect((err as StreamDeletedError).streamName).toBe(stream);
  });

  test('an append over the maximum size is refused and writes nothing', async () => {
    const stream = uniqueStream();
    const big = Array.from({ length: 3 }, () => jsonEvent({ type: 'Big', data: { pad: 'x'.repeat(400_000) } }));
    const err = await f.client.appendToStream(stream, big, via).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaxAppendSizeExceededError);
    expect((err as MaxAppendSizeExceededError).maxAppendSize).toBe(1_048_576);
    await expect(collect(f.client.readStream(stream))).rejects.toThrow(StreamNotFoundError);
  });

  test('the size limit counts the data, as the real 23.10 does: 30,000 small events with metadata are one append', async () => {
    const stream = uniqueStream();
    // 30,000 x 23 bytes of data (690 KB) under 1 MiB; with types and metadata the events are about 3 MB.
    const many = Array.from({ length: 30_000 }, (_, i) =>
      jsonEvent({ type: 'MoneyDeposited', data: { n: 100_000 + i, p: 'xxxx' }, metadata: { correlation: 'c'.repeat(40) } }),
    );
    expect(Buffer.byteLength(JSON.stringify({ n: 100_000, p: 'xxxx' }))).toBe(23);
    const result = await f.client.appendToStream(stream, many, via);
    expect(result.nextExpectedRevision).toBe(29_999n);
    const back = await collect(f.client.readStream(stream, { fromRevision: 29_999n }));
    expect(back[0]!.event!.metadata).toEqual({ correlation: 'c'.repeat(40) });
  });

  test('data just over 1 MiB across small events is refused, whatever the metadata', async () => {
    const stream = uniqueStream();
    // 1,049 x 1,000 bytes of data = 1,049,000 > 1,048,576.
    const events = Array.from({ length: 1_049 }, () => binaryEvent({ type: 'B', data: new Uint8Array(1_000) }));
    const err = await f.client.appendToStream(stream, events, via).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaxAppendSizeExceededError);
    const fits = Array.from({ length: 1_048 }, () => binaryEvent({ type: 'B', data: new Uint8Array(1_000), metadata: new Uint8Array(500) }));
    expect((await f.client.appendToStream(stream, fits, via)).nextExpectedRevision).toBe(1_047n);
  });

  test('an empty event type or a malformed event id is refused and writes nothing', async () => {
    const stream = uniqueStream();
    const emptyType = await f.client.appendToStream(stream, jsonEvent({ type: '', data: {} }), via).catch((e: unknown) => e);
    expect(emptyType).toBeInstanceOf(Error);
    const badId = await f.client.appendToStream(stream, jsonEvent({ id: 'not-a-uuid', type: 'X', data: {} }), via).catch((e: unknown) => e);
    expect(badId).toBeInstanceOf(Error);
    await f.client.appendToStream(stream, deposits(1), { ...via, ...expecting(NO_STREAM) });
    expect(await collect(f.client.readStream(stream))).toHaveLength(1);
  });
});

test('64 concurrent appends to one stream with any all land, in distinct revisions', async () => {
  const stream = uniqueStream();
  const results = await Promise.all(Array.from({ length: 64 }, () => f.client.appendToStream(stream, deposits(1))));
  const revisions = results.map((r) => r.nextExpectedRevision).sort((a, b) => (a < b ? -1 : 1));
  expect(revisions).toEqual(Array.from({ length: 64 }, (_, i) => BigInt(i)));
});
