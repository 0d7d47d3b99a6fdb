import { StreamNotFoundError, convertToCommandError, type EventStoreDBClient, type ResolvedEvent } from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { internalsOf } from './client-internals.js';
import { decodeStreamReadMessage, encodeStreamReadRequest, type StreamReadMessage } from './stream-read-codec.js';

const READ = '/event_store.client.streams.Streams/Read';

/**
 * Up to maxCount records of one stream forwards from a revision, as the
 * client's readStream yields them (the same ResolvedEvent values; a missing
 * stream throws StreamNotFoundError, a failed call the client's error), read
 * to the end of the answer, on a call opened through the client's channel
 * and credentials and decoded by stream-read-codec.ts.
 */
export async function readStreamForwards(client: EventStoreDBClient, stream: string, fromRevision: bigint, maxCount: bigint): Promise<ResolvedEvent[]> {
  const { GRPCStreamCreator, callArguments } = internalsOf(client);
  const request = encodeStreamReadRequest(stream, fromRevision, maxCount);
  const call = await GRPCStreamCreator(streamsGrpc.StreamsClient, 'lean readStream', (grpc): ClientReadableStream<StreamReadMessage> =>
    grpc.makeServerStreamRequest(READ, (b: Buffer) => b, decodeStreamReadMessage, request, ...callArguments({}, { deadline: Infinity })))();
  return new Promise<ResolvedEvent[]>((resolve, reject) => {
    const out: ResolvedEvent[] = [];
    let notFound = false;
    call.on('data', (m: StreamReadMessage) => {
      if (m.kind === 'event') out.push(m.resolved);
      else if (m.kind === 'notFound') notFound = true;
    });
    call.on('error', (err: Error) => reject(convertToCommandError(err)));
    call.on('end', () => (notFound ? reject(new StreamNotFoundError(undefined, stream)) : resolve(out)));
  });
}
