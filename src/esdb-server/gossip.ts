import type * as grpc from '@grpc/grpc-js';
import { gossipGrpc, gossipPb, sharedPb } from './generated.js';

/**
 * Gossip.Read: a cluster of one, this node, always the leader, at the
 * endpoint it advertises to clients (the bind address unless told otherwise,
 * as the real node's advertise-host/port-to-client-as options do).
 */
export const createGossipService = (
  endpoint: () => { host: string; port: number },
  instanceId: string,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } => {
  return {
    definition: gossipGrpc.GossipService,
    implementation: {
      read: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const { host, port } = endpoint();
        const member = new gossipPb.MemberInfo()
          .setInstanceId(new sharedPb.UUID().setString(instanceId))
          .setTimeStamp((BigInt(Date.now()) * 10_000n).toString())
          .setState(gossipPb.MemberInfo.VNodeState.LEADER)
          .setIsAlive(true)
          .setHttpEndPoint(new gossipPb.EndPoint().setAddress(host).setPort(port));
        callback(null, new gossipPb.ClusterInfo().setMembersList([member]));
      },
    },
  };
};
