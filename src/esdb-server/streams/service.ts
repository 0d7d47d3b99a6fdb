import type * as grpc from '@grpc/grpc-js';
import { streamsGrpc, streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import { appendHandler } from './append.js';
import { batchAppendHandler, type BatchAppendResponse } from './batch-append.js';
import { decodeBatchAppendReq } from './batch-append-codec.js';
import { softDeleteHandler, tombstoneHandler } from './delete.js';
import { ResponseFrames } from '../grpc-frames.js';
import { readOnce } from './read.js';
import { decodeReadRequest } from './read-request.js';
import { BadRequest, internal, invalidArgument } from './rpc-errors.js';
import { CatchUpSubscription } from './subscription.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
import type { ReadResponse } from './to-grpc.js';

/** event_store.client.streams.Streams over the store. */
export const createStreamsService = (store: StreamStore): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  const read = (call: grpc.ServerWritableStream<ReadReq, ReadResponse>): void => {
    try {
      const req = decodeReadRequest(call.request.getOptions());
      if (req.count === undefined) return new CatchUpSubscription(store, req, call).start();
      readOnce(store, req, req.count, call).catch(() => ResponseFrames.of(call).fail(internal()));
    } catch (err) {
      call.emit('error', err instanceof BadRequest ? err.rpc : invalidArgument('Malformed read request'));
    }
  };
  const base = streamsGrpc.StreamsService;
  // Read responses for events arrive pre-encoded (see read-event-encoder.ts).
  const definition: grpc.ServiceDefinition = {
    ...base,
    read: {
      ...base.read,
      responseSerialize: (v: ReadResponse): Buffer => (Buffer.isBuffer(v) ? v : base.read.responseSerialize(v)),
    },
    // BatchAppend requests are read, and its success answers written, without google-protobuf (batch-append-codec.ts).
    batchAppend: {
      ...base.batchAppend,
      requestDeserialize: decodeBatchAppendReq,
      responseSerialize: (v: BatchAppendResponse): Buffer => (Buffer.isBuffer(v) ? v : base.batchAppend.responseSerialize(v)),
    },
  };
  return {
    definition,
    implementation: {
      read,
      append: appendHandler(store),
      delete: softDeleteHandler(store),
      tombstone: tombstoneHandler(store),
      batchAppend: batchAppendHandler(store),
    },
  };
};
