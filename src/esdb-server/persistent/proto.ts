/**
 * The generated protobuf classes shipped by @eventstore/db-client. They are
 * CommonJS built with google-protobuf (no static named exports), so they are
 * imported as default objects and re-exported under short names here.
 */
import persistentPb from '@eventstore/db-client/generated/persistent_pb.js';
import persistentGrpc from '@eventstore/db-client/generated/persistent_grpc_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';

export const pb = persistentPb;
export const shared = sharedPb;
export const persistentServiceDefinition = persistentGrpc.PersistentSubscriptionsService;

export type ReadReq = persistentPb.ReadReq;
export type ReadResp = persistentPb.ReadResp;
export type CreateSettings = persistentPb.CreateReq.Settings;
export type UpdateSettings = persistentPb.UpdateReq.Settings;
export type StreamIdentifier = sharedPb.StreamIdentifier;

/** Stream names travel as bytes; the server treats them as UTF-8 text. */
export function streamName(id: StreamIdentifier | undefined): string {
  if (!id) return '';
  return Buffer.from(id.getStreamName_asU8()).toString('utf8');
}
