import type * as grpc from '@grpc/grpc-js';
import { gossipGrpc, gossipPb, sharedPb } from './generated.js';

/**
 * This node as gossip describes it: a cluster of one, always the leader, at
 * the endpoint it advertises to clients (the bind address unless told
 * otherwise, as the real node's advertise-host/port-to-client-as options do).
 * The gRPC Gossip service and HTTP `/gossip` both report this.
 */
export interface GossipMember {
  readonly instanceId: string;
  /** Unix milliseconds of the answer. */
  readonly timeStamp: number;
  readonly state: 'Leader';
  readonly isAlive: true;
  /** What clients are told to connect to. */
  readonly advertised: { readonly host: string; readonly port: number };
  /** Where the node listens. */
  readonly bound: { readonly host: string; readonly port: number };
}

export const createGossipService = (
  member: () => GossipMember,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  return {
    definition: gossipGrpc.GossipService,
    implementation: {
      read: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const m = member();
        const info = new gossipPb.MemberInfo()
          .setInstanceId(new sharedPb.UUID().setString(m.instanceId))
          .setTimeStamp((BigInt(m.timeStamp) * 10_000n).toString())
          .setState(gossipPb.MemberInfo.VNodeState.LEADER)
          .setIsAlive(m.isAlive)
          .setHttpEndPoint(new gossipPb.EndPoint().setAddress(m.advertised.host).setPort(m.advertised.port));
        callback(null, new gossipPb.ClusterInfo().setMembersList([info]));
      },
    },
  };
};
