/**
 * The floor of the API's gRPC hop: a grpc-js server with the same service
 * definition (protobuf-es messages, as src/grpc builds it) and server
 * options, whose Deposit and Withdraw answer a fixed result at once: no
 * validation, handler, event store or metrics. `bench/commands.ts --floors`
 * measures its CPU per call beside the API's.
 *   npx tsx bench/null-api-server.ts   (prints "null API listening on <port>")
 */
import { create } from '@bufbuild/protobuf';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { AccountCommands, CommandResultSchema, DepositResponseSchema, WithdrawResponseSchema } from '../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { grpcServiceDefinition } from '../src/grpc/service-definition.js';

const result = create(CommandResultSchema, { revision: 1n, commitPosition: 1n, balance: 1n });
const answer = <Res>(response: Res) => (_call: ServerUnaryCall<unknown, Res>, callback: sendUnaryData<Res>) => callback(null, response);
const server = new Server({ 'grpc.enable_channelz': 0 });
server.addService(grpcServiceDefinition(AccountCommands, { malformedAsValue: true }), {
  deposit: answer(create(DepositResponseSchema, { result })),
  withdraw: answer(create(WithdrawResponseSchema, { result })),
});
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(`null API listening on ${port}`);
});
process.on('SIGTERM', () => server.forceShutdown());
