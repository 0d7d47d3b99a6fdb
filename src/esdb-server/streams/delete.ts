import type * as grpc from '@grpc/grpc-js';
import { streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import type { ExpectedRevision } from '../store/types.js';
import { decodeExpected, decodeStreamName } from './decode-request.js';
import { BadRequest, internal, invalidArgument, streamDeleted, wrongExpectedVersion } from './rpc-errors.js';

type DeleteReq = InstanceType<typeof streamsPb.DeleteReq>;
type TombstoneReq = InstanceType<typeof streamsPb.TombstoneReq>;

// The numbers the real server puts in `expected-version` for the sentinels.
const expectedNumber = (e: ExpectedRevision): bigint =>
  e.kind === 'exact' ? e.revision : e.kind === 'no_stream' ? -1n : e.kind === 'any' ? -2n : -4n;


/** Streams.Delete (soft) and Streams.Tombstone (hard): same shape, different record. */
const deleteHandler =
  <Req extends DeleteReq | TombstoneReq, Resp>(
    store: StreamStore,
    hard: boolean,
    makeResp: (position: bigint) => Resp,
  ) =>
  (call: grpc.ServerUnaryCall<Req, Resp>, callback: grpc.sendUnaryData<Resp>): void => {
    let name: string;
    let expected: ExpectedRevision;
    try {
      const o = call.request.getOptions();
      if (o === undefined) throw new BadRequest(invalidArgument('Delete options are missing'));
      name = decodeStreamName(o.getStreamIdentifier());
      expected = decodeExpected(o, () => (o.hasRevision() ? o.getRevision() : undefined));
    } catch (err) {
      return callback(err instanceof BadRequest ? err.rpc : invalidArgument('Malformed delete request'));
    }
    store.deleteStream(name, expected, hard).then(
      (r) => {
        if (r.ok) return callback(null, makeResp(r.position));
        if (r.reason === 'stream_deleted') return callback(streamDeleted(name));
        return callback(wrongExpectedVersion(name, expectedNumber(expected), r.actual));
      },
      () => callback(internal()),
    );
  };

export const softDeleteHandler = (store: StreamStore) =>
  deleteHandler<DeleteReq, InstanceType<typeof streamsPb.DeleteResp>>(store, false, (p) =>
    new streamsPb.DeleteResp().setPosition(
      new streamsPb.DeleteResp.Position().setCommitPosition(p.toString()).setPreparePosition(p.toString()),
    ),
  );

export const tombstoneHandler = (store: StreamStore) =>
  deleteHandler<TombstoneReq, InstanceType<typeof streamsPb.TombstoneResp>>(store, true, (p) =>
    new streamsPb.TombstoneResp().setPosition(
      new streamsPb.TombstoneResp.Position().setCommitPosition(p.toString()).setPreparePosition(p.toString()),
    ),
  );

