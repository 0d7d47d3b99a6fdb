import { Server, ServerCredentials } from '@grpc/grpc-js';
import { adminService, type AdminBackend } from './admin-service.js';
import { Admin, file_ledger_v1_admin } from './gen/ledger/v1/admin_pb.js';
import { file_google_rpc_error_details } from './gen/google/rpc/error_details_pb.js';
import { reflectionService } from './reflection.js';
import { grpcServiceDefinition } from './service-definition.js';

export type AdminServer = { readonly port: number; close(): Promise<void> };

/** The Admin API on its own port (ADMIN_HOST defaults to 127.0.0.1: not reachable from other machines). */
export async function startAdminServer(backend: AdminBackend, host: string, port: number): Promise<AdminServer> {
  const server = new Server();
  server.addService(grpcServiceDefinition(Admin), adminService(backend));
  // Reflection (no token: it shows only the schema, which is public), so grpcurl needs no proto files here either.
  reflectionService([file_ledger_v1_admin, file_google_rpc_error_details]).addToServer(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => { server.forceShutdown(); resolve(); }, 5_000);
        server.tryShutdown(() => { clearTimeout(force); resolve(); });
      }),
  };
}
