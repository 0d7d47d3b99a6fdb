import type * as grpc from '@grpc/grpc-js';
import { anyPb, emptyPb, sharedPb, statusPb, streamsPb } from '../generated.js';
import { ResponseFrames } from '../grpc-frames.js';
import type { WireBatchAppend } from '../streams/batch-append-codec.js';
import { decodeStreamName, streamNameFromBytes, uuidFrom } from '../streams/decode-request.js';
import { grpcUuid, streamIdentifier } from '../streams/to-grpc.js';
import { streamNamed, withCaller, type CallAuthority } from './call-authority.js';
import { gatedCall } from './gated-call.js';
import { accessDenied, badCredentials } from './rpc-errors.js';

type Impl = grpc.UntypedServiceImplementation;
/** google.rpc.Code PERMISSION_DENIED. */
const PERMISSION_DENIED = 7;
type Handler = (...args: never[]) => void;
type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type DeleteReq = InstanceType<typeof streamsPb.DeleteReq> | InstanceType<typeof streamsPb.TombstoneReq>;

const readTarget = (req: ReadReq): string | undefined => {
  const o = req.getOptions();
  if (o === undefined) return undefined; // the handler answers INVALID_ARGUMENT
  return o.hasStream() ? streamNamed(() => decodeStreamName(o.getStream()?.getStreamIdentifier())) : '$all';
};

/** The batch's answer when its stream may not be written: a Status with AccessDenied detail, as the real BatchAppend. */
const batchDenied = (req: WireBatchAppend, stream: string): InstanceType<typeof streamsPb.BatchAppendResp> => {
  const detail = new anyPb.Any();
  detail.pack(new sharedPb.AccessDenied().serializeBinary(), 'event_store.client.AccessDenied');
  const status = new statusPb.Status().setCode(PERMISSION_DENIED).setMessage('Access Denied').setDetails(detail);
  const r = new streamsPb.BatchAppendResp().setCorrelationId(grpcUuid(uuidFrom(req.correlationId))).setStreamIdentifier(streamIdentifier(stream));
  const e = req.options?.expected;
  if (e === undefined || e.kind === 'any') r.setAny(new emptyPb.Empty());
  else if (e.kind === 'no_stream') r.setNoStream(new emptyPb.Empty());
  else if (e.kind === 'stream_exists') r.setStreamExists(new emptyPb.Empty());
  else r.setStreamPosition(e.revision.toString());
  return r.setError(status);
};

/**
 * The Streams service in secure mode: every call names its caller first
 * (refused credentials: UNAUTHENTICATED), then the stream ACLs decide
 * (PERMISSION_DENIED, access-denied) before the handler runs: reads and
 * subscriptions need read on the stream or `$all`, appends write (each
 * batch of a BatchAppend on its own), deletes delete. Insecure mode does not
 * wrap the service at all.
 */
export const guardStreams = (impl: Impl, authority: CallAuthority): Impl => {
  const policy = authority.policy;
  const read = impl['read'] as (call: grpc.ServerWritableStream<ReadReq, unknown>) => void;
  const append = impl['append'] as (call: grpc.ServerReadableStream<AppendReq, unknown>, cb: grpc.sendUnaryData<unknown>) => void;
  const batchAppend = impl['batchAppend'] as (call: grpc.ServerDuplexStream<WireBatchAppend, unknown>) => void;
  const unaryDelete = (inner: Handler) => (call: grpc.ServerUnaryCall<DeleteReq, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
    withCaller(authority, call.metadata, callback, (caller) => {
      if (caller.refused) return callback(badCredentials());
      const o = call.request.getOptions();
      const stream = o === undefined ? undefined : streamNamed(() => decodeStreamName(o.getStreamIdentifier()));
      if (stream !== undefined && !policy.allows(caller.principal, 'delete', stream)) return callback(accessDenied());
      (inner as unknown as (c: typeof call, cb: typeof callback) => void)(call, callback);
    });
  };
  return {
    ...impl,
    read: (call: grpc.ServerWritableStream<ReadReq, unknown>): void => {
      withCaller(authority, call.metadata, (e) => ResponseFrames.of(call).fail(e), (caller) => {
        if (caller.refused) return ResponseFrames.of(call).fail(badCredentials());
        const target = readTarget(call.request);
        if (target !== undefined && !policy.allows(caller.principal, 'read', target)) return ResponseFrames.of(call).fail(accessDenied());
        read(call);
      });
    },
    append: (call: grpc.ServerReadableStream<AppendReq, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
      withCaller(authority, call.metadata, callback, (caller) => {
        if (caller.refused) return callback(badCredentials());
        let denied = false;
        const passes = (m: unknown): boolean => {
          if (denied) return false;
          const req = m as AppendReq;
          if (!req.hasOptions()) return true;
          const stream = streamNamed(() => decodeStreamName(req.getOptions()?.getStreamIdentifier()));
          if (stream === undefined || policy.allows(caller.principal, 'write', stream)) return true;
          denied = true;
          callback(accessDenied());
          return false;
        };
        append(gatedCall(call, passes, () => !denied), (err, value) => (denied ? undefined : callback(err, value)));
      });
    },
    batchAppend: (call: grpc.ServerDuplexStream<WireBatchAppend, unknown>): void => {
      withCaller(authority, call.metadata, (e) => ResponseFrames.of(call).fail(e), (caller) => {
        if (caller.refused) return ResponseFrames.of(call).fail(badCredentials());
        const refusedBatches = new Set<string>();
        let view: typeof call;
        const passes = (m: unknown): boolean => {
          const req = m as WireBatchAppend;
          let correlation: string;
          try {
            correlation = uuidFrom(req.correlationId);
          } catch {
            return true;
          }
          if (refusedBatches.has(correlation)) {
            if (req.isFinal) refusedBatches.delete(correlation);
            return false;
          }
          const options = req.options;
          if (options === undefined) return true;
          const stream = streamNamed(() => streamNameFromBytes(options.streamName));
          if (stream === undefined || policy.allows(caller.principal, 'write', stream)) return true;
          ResponseFrames.of(view).send(batchDenied(req, stream));
          if (!req.isFinal) refusedBatches.add(correlation);
          return false;
        };
        view = gatedCall(call, passes, () => true);
        batchAppend(view);
      });
    },
    delete: unaryDelete(impl['delete'] as Handler),
    tombstone: unaryDelete(impl['tombstone'] as Handler),
  };
};
