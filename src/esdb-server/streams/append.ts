import type * as grpc from '@grpc/grpc-js';
import { emptyPb, streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import type { ExpectedRevision, ProposedEvent } from '../store/types.js';
import { MAX_APPEND_LOG_BYTES, MAX_APPEND_SIZE, decodeExpected, decodeProposed, decodeStreamName, logSize, proposedSize } from './decode-request.js';
import { BadRequest, internal, invalidArgument, maximumAppendSizeExceeded, streamDeleted } from './rpc-errors.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
const Empty = emptyPb.Empty;

const wrongVersionBody = (expected: ExpectedRevision, actual: bigint | undefined): AppendResp => {
  const w = new streamsPb.AppendResp.WrongExpectedVersion();
  if (actual === undefined) w.setCurrentNoStream(new Empty());
  else w.setCurrentRevision(actual.toString());
  switch (expected.kind) {
    case 'any':
      w.setExpectedAny(new Empty());
      break;
    case 'no_stream':
      w.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      w.setExpectedStreamExists(new Empty());
      break;
    case 'exact':
      w.setExpectedRevision(expected.revision.toString());
      break;
  }
  return new streamsPb.AppendResp().setWrongExpectedVersion(w);
};

/** Streams.Append: a client stream of one options message then the events. */
export const appendHandler =
  (store: StreamStore) =>
  (call: grpc.ServerReadableStream<AppendReq, AppendResp>, callback: grpc.sendUnaryData<AppendResp>): void => {
    let streamName: string | undefined;
    let expected: ExpectedRevision = { kind: 'any' };
    const events: ProposedEvent[] = [];
    let size = 0;
    let bytes = 0;
    let failed: grpc.ServiceError | undefined;
    call.on('data', (req: AppendReq) => {
      if (failed !== undefined) return;
      try {
        if (req.hasOptions()) {
          const o = req.getOptions();
          if (o === undefined) return;
          streamName = decodeStreamName(o.getStreamIdentifier());
          expected = decodeExpected(o, () => (o.hasRevision() ? o.getRevision() : undefined));
        } else if (req.hasProposedMessage()) {
          const m = req.getProposedMessage();
          if (m === undefined) return;
          const e = decodeProposed(m);
          size += proposedSize(e);
          bytes += logSize(streamName === undefined ? 0 : Buffer.byteLength(streamName, 'utf8'), e);
          if (size > MAX_APPEND_SIZE || bytes > MAX_APPEND_LOG_BYTES) throw new BadRequest(maximumAppendSizeExceeded(MAX_APPEND_SIZE));
          events.push(e);
        }
      } catch (err) {
        failed = err instanceof BadRequest ? err.rpc : invalidArgument('Malformed append request');
      }
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (failed !== undefined) return callback(failed);
      if (streamName === undefined) return callback(invalidArgument('Append options are missing'));
      const name = streamName;
      store.append(name, events, expected).then(
        (result) => {
          if (result.ok) {
            const success = new streamsPb.AppendResp.Success();
            if (result.nextRevision < 0n) success.setNoStream(new Empty());
            else success.setCurrentRevision(result.nextRevision.toString());
            success.setPosition(
              new streamsPb.AppendResp.Position()
                .setCommitPosition(result.position.toString())
                .setPreparePosition(result.position.toString()),
            );
            return callback(null, new streamsPb.AppendResp().setSuccess(success));
          }
          if (result.reason === 'stream_deleted') return callback(streamDeleted(name));
          return callback(null, wrongVersionBody(expected, result.actual));
        },
        () => callback(internal()),
      );
    });
  };
