import type * as grpc from '@grpc/grpc-js';
import { ResponseFrames } from '../grpc-frames.js';
import { pb, streamName } from '../persistent/proto.js';
import { withCaller, type CallAuthority } from './call-authority.js';
import { gatedCall } from './gated-call.js';
import { isOpsOrAdmin, type Principal } from './principal.js';
import { accessDenied, badCredentials } from './rpc-errors.js';

type Impl = grpc.UntypedServiceImplementation;
type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

/**
 * The persistent-subscriptions service in secure mode, by 23.10's legacy
 * policy: creating, updating, deleting groups, replaying parked messages and
 * restarting the subsystem take `$ops` or `$admins`; info and lists take
 * any authenticated user; consuming a group takes an authenticated user who
 * may read the group's stream (or `$all`).
 */
export const guardPersistent = (impl: Impl, authority: CallAuthority): Impl => {
  const unary = (name: string, allowed: (p: Principal | undefined) => boolean) => {
    const inner = impl[name] as Unary;
    return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
      withCaller(authority, call.metadata, callback, (caller) => {
        if (caller.refused) return callback(badCredentials());
        if (!allowed(caller.principal)) return callback(accessDenied());
        inner(call, callback);
      });
    };
  };
  const authenticated = (p: Principal | undefined): boolean => p !== undefined;
  const read = impl['read'] as (call: grpc.ServerDuplexStream<unknown, unknown>) => void;
  return {
    ...impl,
    create: unary('create', isOpsOrAdmin),
    update: unary('update', isOpsOrAdmin),
    delete: unary('delete', isOpsOrAdmin),
    replayParked: unary('replayParked', isOpsOrAdmin),
    restartSubsystem: unary('restartSubsystem', isOpsOrAdmin),
    getInfo: unary('getInfo', authenticated),
    list: unary('list', authenticated),
    read: (call: grpc.ServerDuplexStream<unknown, unknown>): void => {
      withCaller(authority, call.metadata, (e) => ResponseFrames.of(call).fail(e), (caller) => {
        if (caller.refused) return ResponseFrames.of(call).fail(badCredentials());
        let denied = false;
        let opened = false;
        const passes = (m: unknown): boolean => {
          if (denied) return false;
          if (opened || !(m instanceof pb.ReadReq)) return true;
          const o = m.getOptions();
          if (o === undefined) return true; // the handler answers it
          opened = true;
          const source = o.getStreamOptionCase() === pb.ReadReq.Options.StreamOptionCase.ALL ? '$all' : streamName(o.getStreamIdentifier());
          if (policy(caller.principal, source)) return true;
          denied = true;
          ResponseFrames.of(view).fail(accessDenied());
          return false;
        };
        const policy = (p: Principal | undefined, source: string): boolean => p !== undefined && authority.policy.allows(p, 'read', source);
        const view = gatedCall(call, passes, () => !denied);
        read(view);
      });
    },
  };
};
