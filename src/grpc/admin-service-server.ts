import { Server, ServerCredentials } from '@grpc/grpc-js';
import { adminService, type AdminBackend } from './admin-service.js';
import { Admin } from './gen/ledger/v1/admin_pb.js';
import { grpcServiceDefinition } from './service-definition.js';

export type AdminServer = { readonly port: number; close(): Promise<void> };

/** The Admin API on its own port (ADMIN_HOST defaults to 127.0.0.1: not reachable from other machines). */
export async function startAdminServer(backend: AdminBackend, host: string, port: number): Promise<AdminServer> {
  const server = new Server();
  server.addService(grpcServiceDefinition(Admin), adminService(backend));
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
