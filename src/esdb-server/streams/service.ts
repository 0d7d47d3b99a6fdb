import type * as grpc from '@grpc/grpc-js';
import { streamsGrpc, streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import { appendHandler } from './append.js';
import { batchAppendHandler } from './batch-append.js';
import { softDeleteHandler, tombstoneHandler } from './delete.js';
import { readOnce } from './read.js';
import { decodeReadRequest } from './read-request.js';
import { BadRequest, internal, invalidArgument } from './rpc-errors.js';
import { CatchUpSubscription } from './subscription.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;

/** event_store.client.streams.Streams over the store. */
export const createStreamsService = (store: StreamStore): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  const read = (call: grpc.ServerWritableStream<ReadReq, ReadResp>): void => {
    try {
      const req = decodeReadRequest(call.request.getOptions());
      if (req.count === undefined) return new CatchUpSubscription(store, req, call).start();
      readOnce(store, req, req.count, call).catch(() => call.destroy(internal()));
    } catch (err) {
      call.destroy(err instanceof BadRequest ? err.rpc : invalidArgument('Malformed read request'));
    }
  };
  return {
    definition: streamsGrpc.StreamsService as unknown as grpc.ServiceDefinition,
    implementation: {
      read,
      append: appendHandler(store),
      delete: softDeleteHandler(store),
      tombstone: tombstoneHandler(store),
      batchAppend: batchAppendHandler(store),
    },
  };
};
