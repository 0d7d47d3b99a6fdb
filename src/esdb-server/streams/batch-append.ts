import type * as grpc from '@grpc/grpc-js';
import { anyPb, emptyPb, sharedPb, statusPb, streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import type { ExpectedRevision, ProposedEvent } from '../store/types.js';
import { MAX_APPEND_LOG_BYTES, MAX_APPEND_SIZE, logSize, proposedEvent, proposedSize, streamNameFromBytes, uuidFrom } from './decode-request.js';
import { encodeBatchAppendSuccess, type WireBatchAppend } from './batch-append-codec.js';
import { BadRequest, invalidArgument } from './rpc-errors.js';
import { ResponseFrames } from '../grpc-frames.js';
import { grpcUuid, streamIdentifier } from './to-grpc.js';
import * as grpcStatus from './grpc-status.js';

type BatchAppendResp = InstanceType<typeof streamsPb.BatchAppendResp>;
/** Success answers go out pre-encoded, errors as message objects. */
export type BatchAppendResponse = BatchAppendResp | Buffer;
type Status = InstanceType<typeof statusPb.Status>;
const Empty = emptyPb.Empty;

interface PendingBatch {
  streamName: string;
  expected: ExpectedRevision;
  deadline: number | undefined;
  events: ProposedEvent[];
  /** What counts against MaxAppendSize (the data), and what the events take in the log. */
  size: number;
  bytes: number;
  streamBytes: number;
  error: Status | undefined;
}

const statusWithDetail = (code: number, message: string, typeName: string, body: Uint8Array): Status => {
  const any = new anyPb.Any();
  any.pack(body, typeName);
  return new statusPb.Status().setCode(code).setMessage(message).setDetails(any);
};

const wrongExpectedVersion = (expected: ExpectedRevision, actual: bigint | undefined): Status => {
  const w = new sharedPb.WrongExpectedVersion();
  if (actual === undefined) w.setCurrentNoStream(new Empty());
  else w.setCurrentStreamRevision(actual.toString());
  if (expected.kind === 'any') w.setExpectedAny(new Empty());
  else if (expected.kind === 'no_stream') w.setExpectedNoStream(new Empty());
  else if (expected.kind === 'stream_exists') w.setExpectedStreamExists(new Empty());
  else w.setExpectedStreamPosition(expected.revision.toString());
  return statusWithDetail(grpcStatus.FAILED_PRECONDITION, 'WrongExpectedVersion', 'event_store.client.WrongExpectedVersion', w.serializeBinary());
};

const streamDeleted = (name: string): Status =>
  statusWithDetail(
    grpcStatus.FAILED_PRECONDITION,
    `Event stream '${name}' is deleted.`,
    'event_store.client.StreamDeleted',
    new sharedPb.StreamDeleted().setStreamIdentifier(streamIdentifier(name)).serializeBinary(),
  );

const appendSizeExceeded = (): Status =>
  statusWithDetail(
    grpcStatus.INVALID_ARGUMENT,
    `Maximum Append Size of ${MAX_APPEND_SIZE} Exceeded.`,
    'event_store.client.MaximumAppendSizeExceeded',
    new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(MAX_APPEND_SIZE).serializeBinary(),
  );

const timeout = (): Status =>
  statusWithDetail(grpcStatus.DEADLINE_EXCEEDED, 'Timeout', 'event_store.client.Timeout', new sharedPb.Timeout().serializeBinary());

const badRequest = (message: string): Status =>
  statusWithDetail(grpcStatus.INVALID_ARGUMENT, message, 'event_store.client.BadRequest', new sharedPb.BadRequest().setMessage(message).serializeBinary());

const unknown = (message: string): Status =>
  statusWithDetail(grpcStatus.UNKNOWN, message, 'event_store.client.Unknown', new sharedPb.Unknown().serializeBinary());

/**
 * Streams.BatchAppend: one long-lived duplex stream carrying many appends,
 * each split into chunks that share a correlation id; the first chunk has
 * the options, the last has is_final. Answers go back as appends complete,
 * not necessarily in request order (the client matches correlation ids).
 */
export const batchAppendHandler =
  (store: StreamStore) =>
  (call: grpc.ServerDuplexStream<WireBatchAppend, BatchAppendResponse>): void => {
    const out = ResponseFrames.of(call);
    const inFlight = new Map<string, PendingBatch>();
    let ended = false;
    let outstanding = 0;
    const finishIfDone = (): void => {
      if (ended && outstanding === 0) out.end();
    };
    const reply = (correlation: string, batch: PendingBatch | undefined, fill: (r: BatchAppendResp) => void): void => {
      const r = new streamsPb.BatchAppendResp().setCorrelationId(grpcUuid(correlation));
      if (batch !== undefined) {
        r.setStreamIdentifier(streamIdentifier(batch.streamName));
        const e = batch.expected;
        if (e.kind === 'any') r.setAny(new Empty());
        else if (e.kind === 'no_stream') r.setNoStream(new Empty());
        else if (e.kind === 'stream_exists') r.setStreamExists(new Empty());
        else r.setStreamPosition(e.revision.toString());
      } else {
        r.setStreamIdentifier(streamIdentifier(''));
      }
      fill(r);
      out.send(r);
    };

    const complete = (correlation: string, batch: PendingBatch): void => {
      if (batch.error !== undefined) {
        const err = batch.error;
        return reply(correlation, batch, (r) => r.setError(err));
      }
      if (batch.deadline !== undefined && Date.now() > batch.deadline) {
        return reply(correlation, batch, (r) => r.setError(timeout()));
      }
      outstanding++;
      store.append(batch.streamName, batch.events, batch.expected).then(
        (result) => {
          outstanding--;
          if (result.ok) {
            out.send(encodeBatchAppendSuccess(correlation, batch.streamName, batch.expected, result.nextRevision, result.position));
          } else if (result.reason === 'stream_deleted') {
            reply(correlation, batch, (r) => r.setError(streamDeleted(batch.streamName)));
          } else {
            reply(correlation, batch, (r) => r.setError(wrongExpectedVersion(batch.expected, result.actual)));
          }
          finishIfDone();
        },
        (err: unknown) => {
          outstanding--;
          reply(correlation, batch, (r) => r.setError(unknown(err instanceof Error ? err.message : 'append failed')));
          finishIfDone();
        },
      );
    };

    call.on('data', (req: WireBatchAppend) => {
      let correlation: string;
      try {
        correlation = uuidFrom(req.correlationId);
      } catch {
        return; // Without a correlation id there is nobody to answer.
      }
      let batch = inFlight.get(correlation);
      try {
        if (batch === undefined) {
          const o = req.options;
          if (o === undefined) throw new BadRequest(invalidArgument('The first chunk of an append must carry its options'));
          batch = {
            streamName: streamNameFromBytes(o.streamName),
            expected: o.expected,
            deadline: o.deadlineMs,
            events: [],
            size: 0,
            bytes: 0,
            streamBytes: o.streamName?.length ?? 0,
            error: undefined,
          };
          inFlight.set(correlation, batch);
        }
        if (batch.error === undefined) {
          for (const m of req.proposed) {
            const e = proposedEvent(uuidFrom, m.id, m.metadata, m.data, m.customMetadata);
            batch.size += proposedSize(e);
            batch.bytes += logSize(batch.streamBytes, e);
            batch.events.push(e);
          }
          if (batch.size > MAX_APPEND_SIZE || batch.bytes > MAX_APPEND_LOG_BYTES) {
            batch.error = appendSizeExceeded();
            batch.events = [];
          }
        }
      } catch (err) {
        const message = err instanceof BadRequest && err.rpc.details !== undefined ? err.rpc.details : 'Malformed batch append request';
        if (batch === undefined) return reply(correlation, undefined, (r) => r.setError(badRequest(message)));
        batch.error = badRequest(message);
        batch.events = [];
      }
      if (req.isFinal) {
        inFlight.delete(correlation);
        complete(correlation, batch);
      }
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
  };
