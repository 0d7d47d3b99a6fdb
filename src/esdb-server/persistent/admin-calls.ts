import type * as grpc from '@grpc/grpc-js';
import type { EventLog } from '../store/types.js';
import { allStream } from './event-source.js';
import type { GroupRegistry } from './group-registry.js';
import { definitionFromRequest, isRpcError } from './group-request.js';
import { pb, shared, streamName, type StreamIdentifier } from './proto.js';
import { internal, invalidArgument, subscriptionDoesNotExist, subscriptionExists, subscriptionFailed, type RpcError } from './rpc-errors.js';
import { subscriptionInfo } from './subscription-info.js';

type Message = { serializeBinary(): Uint8Array };
type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

/**
 * Wraps a handler so a bug or a malformed request answers a status instead
 * of crashing the server or leaving the call hanging.
 */
function unary<Req, Res extends Message>(handle: (req: Req) => Promise<Res | RpcError>): Unary<Req, Res> {
  return (call, callback) => {
    handle(call.request).then(
      (res) => (isRpcError(res) ? callback(res, null) : callback(null, res)),
      () => callback(internal(), null),
    );
  };
}

/** The `stream_identifier` / `all` choice most requests make. */
function sourceOf(options: { getAll(): unknown; getStreamIdentifier(): StreamIdentifier | undefined }, allCase: boolean): string {
  return allCase ? allStream : streamName(options.getStreamIdentifier());
}

export function adminCalls(log: EventLog, registry: GroupRegistry): Record<string, grpc.UntypedHandleCall> {
  const create = unary<InstanceType<typeof pb.CreateReq>, InstanceType<typeof pb.CreateResp>>(async (req) => {
    const def = definitionFromRequest(log, req.getOptions());
    if (isRpcError(def)) return def;
    const result = await registry.create(def);
    if (result === 'exists') return subscriptionExists(def.source.kind === 'all' ? allStream : def.source.streamId, def.group);
    return new pb.CreateResp();
  });

  const update = unary<InstanceType<typeof pb.UpdateReq>, InstanceType<typeof pb.UpdateResp>>(async (req) => {
    const def = definitionFromRequest(log, req.getOptions());
    if (isRpcError(def)) return def;
    const result = await registry.update(def);
    if (result === 'not_found') return subscriptionDoesNotExist(def.source.kind === 'all' ? allStream : def.source.streamId, def.group);
    return new pb.UpdateResp();
  });

  const remove = unary<InstanceType<typeof pb.DeleteReq>, InstanceType<typeof pb.DeleteResp>>(async (req) => {
    const o = req.getOptions();
    if (!o) return invalidArgument('Options are required.');
    const source = sourceOf(o, o.getStreamOptionCase() === pb.DeleteReq.Options.StreamOptionCase.ALL);
    const result = await registry.delete(source, o.getGroupName());
    if (result === 'not_found') return subscriptionDoesNotExist(source, o.getGroupName());
    return new pb.DeleteResp();
  });

  const getInfo = unary<InstanceType<typeof pb.GetInfoReq>, InstanceType<typeof pb.GetInfoResp>>(async (req) => {
    const o = req.getOptions();
    if (!o) return invalidArgument('Options are required.');
    const source = sourceOf(o, o.getStreamOptionCase() === pb.GetInfoReq.Options.StreamOptionCase.ALL);
    const group = registry.find(source, o.getGroupName());
    if (!group) return subscriptionDoesNotExist(source, o.getGroupName());
    return new pb.GetInfoResp().setSubscriptionInfo(subscriptionInfo(group));
  });

  const list = unary<InstanceType<typeof pb.ListReq>, InstanceType<typeof pb.ListResp>>(async (req) => {
    const o = req.getOptions();
    let source: string | undefined;
    if (o?.getListOptionCase() === pb.ListReq.Options.ListOptionCase.LIST_FOR_STREAM) {
      const forStream = o.getListForStream();
      source = forStream?.getStreamOptionCase() === pb.ListReq.StreamOption.StreamOptionCase.ALL ? allStream : streamName(forStream?.getStream());
    } else if (o?.getListOptionCase() !== pb.ListReq.Options.ListOptionCase.LIST_ALL_SUBSCRIPTIONS) {
      return invalidArgument('List options are required.');
    }
    const groups = registry.list(source);
    // The real server answers "does not exist" for a stream without groups, but an empty list for "all".
    if (source !== undefined && groups.length === 0) return subscriptionDoesNotExist(source, '');
    return new pb.ListResp().setSubscriptionsList(groups.map(subscriptionInfo));
  });

  const replayParked = unary<InstanceType<typeof pb.ReplayParkedReq>, InstanceType<typeof pb.ReplayParkedResp>>(async (req) => {
    const o = req.getOptions();
    if (!o) return invalidArgument('Options are required.');
    const source = o.getStreamOptionCase() === pb.ReplayParkedReq.Options.StreamOptionCase.ALL ? allStream : streamName(o.getStreamIdentifier());
    const group = registry.find(source, o.getGroupName());
    if (!group) return subscriptionDoesNotExist(source, o.getGroupName());
    let stopAt: bigint | undefined;
    if (o.getStopAtOptionCase() === pb.ReplayParkedReq.Options.StopAtOptionCase.STOP_AT) {
      const text = o.getStopAt();
      if (!/^-?\d+$/.test(text)) return invalidArgument(`'${text}' is not a valid stop position`);
      stopAt = BigInt(text);
      if (stopAt < 0n) return subscriptionFailed(source, o.getGroupName(), 'Cannot stop replaying parked message at a negative version.');
    }
    await group.replayParked(stopAt);
    return new pb.ReplayParkedResp();
  });

  const restartSubsystem = unary<InstanceType<typeof shared.Empty>, InstanceType<typeof shared.Empty>>(async () => {
    await registry.restart();
    return new shared.Empty();
  });

  return { create, update, delete: remove, getInfo, list, replayParked, restartSubsystem };
}
