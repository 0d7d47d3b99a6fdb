import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  expecting,
  versionsOf,
} from './client-under-test.js';
import { collect, deposits, startFixture, uniqueStream, type EsdbFixture } from './esdb-fixture.js';

let f: EsdbFixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(() => f.close());

const revisions = async (stream: string): Promise<bigint[]> =>
  (await collect(f.client.readStream(stream))).map((e) => e.event!.revision);

describe('soft delete', () => {
  test('reads answer not found; a new append recreates the stream with revisions continuing', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(2));
    await f.client.setStreamMetadata(stream, { maxCount: 100, owner: 'ledger' });
    const deleted = await f.client.deleteStream(stream, { expectedRevision: 1n });
    expect(deleted.position).toBeDefined();
    await expect(collect(f.client.readStream(stream))).rejects.toBeInstanceOf(StreamNotFoundError);

    const recreated = await f.client.appendToStream(stream, deposits(3), expecting(NO_STREAM));
    expect(recreated.nextExpectedRevision).toBe(4n);
    expect(await revisions(stream)).toEqual([2n, 3n, 4n]);
    const { metadata } = await f.client.getStreamMetadata(stream);
    expect(metadata).toMatchObject({ truncateBefore: 2, maxCount: 100, owner: 'ledger' });
  });

  test('a stream that never existed is not soft-deleted: wrong expected version, actual -1, for any and no_stream', async () => {
    for (const expectedRevision of [undefined, NO_STREAM] as const) {
      const stream = uniqueStream('never');
      const err = await f.client.deleteStream(stream, expectedRevision === undefined ? {} : { expectedRevision }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedVersionError);
      expect((err as WrongExpectedVersionError).streamName).toBe(stream);
      // Nothing was written: no metadata ($tb) for it.
      expect((await f.client.getStreamMetadata(stream)).metadata).toBeUndefined();
      await expect(collect(f.client.readStream(`$$${stream}`))).rejects.toBeInstanceOf(StreamNotFoundError);
    }
    // A stream that has only metadata exists enough to be deleted.
    const withMeta = uniqueStream('meta');
    await f.client.setStreamMetadata(withMeta, { owner: 'ledger' });
    expect((await f.client.deleteStream(withMeta)).position).toBeDefined();
  });

  test('the expected revision is checked', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(3));
    const err = await f.client.deleteStream(stream, { expectedRevision: 0n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WrongExpectedVersionError);
    expect((err as WrongExpectedVersionError).streamName).toBe(stream);
    expect(versionsOf(err).expected).toBe(0n);
    expect(versionsOf(err).actual).toBe(2n);
    expect(await revisions(stream)).toEqual([0n, 1n, 2n]);
  });

  test('stream_exists on a soft-deleted stream is StreamDeletedError; any recreates it', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(1));
    await f.client.deleteStream(stream);
    await expect(f.client.appendToStream(stream, deposits(1), expecting(STREAM_EXISTS))).rejects.toBeInstanceOf(StreamDeletedError);
    await f.client.appendToStream(stream, deposits(1));
    expect(await revisions(stream)).toEqual([1n]);
  });
});

describe('tombstone', () => {
  test('the stream is gone for good: reads, appends and deletes answer StreamDeletedError', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(2));
    await f.client.tombstoneStream(stream);
    await expect(collect(f.client.readStream(stream))).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(f.client.appendToStream(stream, deposits(1))).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(f.client.deleteStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(f.client.tombstoneStream(stream)).rejects.toBeInstanceOf(StreamDeletedError);
  });

  test('a soft-deleted stream can still be tombstoned', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(1));
    await f.client.deleteStream(stream);
    await f.client.tombstoneStream(stream);
    await expect(collect(f.client.readStream(stream))).rejects.toBeInstanceOf(StreamDeletedError);
  });
});

describe('tombstone and metadata', () => {
  test('once a stream is tombstoned its metadata stream is deleted too: reads and writes answer StreamDeletedError', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(1));
    await f.client.setStreamMetadata(stream, { owner: 'ledger' });
    await f.client.tombstoneStream(stream);
    await expect(collect(f.client.readStream(`$$${stream}`))).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(f.client.getStreamMetadata(stream)).rejects.toBeInstanceOf(StreamDeletedError);
    await expect(f.client.setStreamMetadata(stream, { owner: 'other' })).rejects.toBeInstanceOf(StreamDeletedError);
  });
});

describe('stream metadata', () => {
  test('$maxCount keeps only the newest events visible', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(5));
    await f.client.setStreamMetadata(stream, { maxCount: 2 });
    expect(await revisions(stream)).toEqual([3n, 4n]);
    await f.client.appendToStream(stream, deposits(1));
    expect(await revisions(stream)).toEqual([4n, 5n]);
  });

  test('$tb hides events before the given revision', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(5));
    await f.client.setStreamMetadata(stream, { truncateBefore: 3 });
    expect(await revisions(stream)).toEqual([3n, 4n]);
  });

  test('$maxAge hides events older than that many seconds', async () => {
    const stream = uniqueStream();
    await f.client.appendToStream(stream, deposits(2));
    await f.client.setStreamMetadata(stream, { maxAge: 1 });
    expect(await revisions(stream)).toEqual([0n, 1n]);
    await new Promise((r) => setTimeout(r, 1_100));
    await f.client.appendToStream(stream, deposits(1));
    expect(await revisions(stream)).toEqual([2n]);
  });

  test('custom keys round-trip and the metastream is an ordinary stream with a revision', async () => {
    const stream = uniqueStream();
    await f.client.setStreamMetadata(stream, { snapshotEvery: 100, tags: ['a', 'b'] });
    const second = await f.client.setStreamMetadata(stream, { snapshotEvery: 50 }, expecting(0n));
    expect(second.nextExpectedRevision).toBe(1n);
    const { metadata } = await f.client.getStreamMetadata(stream);
    expect(metadata).toEqual({ snapshotEvery: 50 });
    await expect(f.client.setStreamMetadata(stream, { x: 1 }, expecting(0n))).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });
});
