import { Client, credentials, Metadata, type ServiceDefinition } from '@grpc/grpc-js';
import { Admin } from './gen/ledger/v1/admin_pb.js';
import type {
  AuditMoneyResponse,
  CancelRebuildResponse,
  GetRebuildResponse,
  ListProjectionsResponse,
  ReplayParkedResponse,
  StartRebuildResponse,
} from './gen/ledger/v1/admin_pb.js';
import { grpcServiceDefinition } from './service-definition.js';

/** A small promise client for the Admin API (the CLI and tests use it). */
export class AdminClient {
  private readonly client: Client;
  private readonly definition: ServiceDefinition = grpcServiceDefinition(Admin);

  constructor(address: string, private readonly token: string | undefined) {
    this.client = new Client(address, credentials.createInsecure());
  }

  private call<T>(method: string, req: object): Promise<T> {
    const md = new Metadata();
    if (this.token !== undefined) md.set('authorization', `Bearer ${this.token}`);
    const m = this.definition[method];
    if (!m) throw new Error(`no Admin method ${method}`);
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, req, md, (err, res) =>
        err ? reject(err) : resolve(res as T)));
  }

  listProjections = () => this.call<ListProjectionsResponse>('listProjections', {});
  startRebuild = (projection: string) => this.call<StartRebuildResponse>('startRebuild', { projection });
  getRebuild = (id: string) => this.call<GetRebuildResponse>('getRebuild', { id });
  cancelRebuild = (id: string) => this.call<CancelRebuildResponse>('cancelRebuild', { id });
  replayParked = (group: string) => this.call<ReplayParkedResponse>('replayParked', { group });
  auditMoney = () => this.call<AuditMoneyResponse>('auditMoney', {});

  close(): void {
    this.client.close();
  }
}
