import { create, toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { file_ledger_v1_account_commands } from './gen/ledger/v1/account_commands_pb.js';
import { file_ledger_v1_account_queries } from './gen/ledger/v1/account_queries_pb.js';
import { file_google_rpc_error_details } from './gen/google/rpc/error_details_pb.js';
import { file_google_rpc_status } from './gen/google/rpc/status_pb.js';

/**
 * Server reflection needs the descriptors of what we serve. They are already
 * compiled into the protobuf-es code, so the FileDescriptorSet is built from
 * there (no .binpb to keep in sync); the error-detail messages are included
 * so tools can decode grpc-status-details-bin.
 */
export function reflectionService(extraFiles: readonly DescFile[] = []): ReflectionService {
  const files = withDependencies([
    file_ledger_v1_account_commands,
    file_ledger_v1_account_queries,
    file_google_rpc_status,
    file_google_rpc_error_details,
    ...extraFiles,
  ]);
  const set = create(FileDescriptorSetSchema, { file: files.map((f) => f.proto) });
  const ours: PackageDefinition = loadFileDescriptorSetFromBuffer(Buffer.from(toBinary(FileDescriptorSetSchema, set)));
  const health: PackageDefinition = loadSync(healthProtoPath);
  return new ReflectionService({ ...ours, ...health });
}

/** Files in dependency order (each after what it imports), each once. */
function withDependencies(roots: readonly DescFile[]): DescFile[] {
  const seen = new Set<string>();
  const out: DescFile[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    f.dependencies.forEach(visit);
    out.push(f);
  };
  roots.forEach(visit);
  return out;
}
