import { toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';
import { file_ledger_v1_account_commands } from './gen/ledger/v1/account_commands_pb.js';
import { file_ledger_v1_account_queries } from './gen/ledger/v1/account_queries_pb.js';
import { file_google_rpc_error_details } from './gen/google/rpc/error_details_pb.js';
import { file_google_rpc_status } from './gen/google/rpc/status_pb.js';
import { file_grpc_health_v1_health } from './gen/grpc/health/v1/health_pb.js';

type ReflectedPackages = ConstructorParameters<typeof ReflectionService>[0];

/** What the public API serves: its services, health, and the error-detail messages. */
export const PUBLIC_API_FILES: readonly DescFile[] = [
  file_ledger_v1_account_commands,
  file_ledger_v1_account_queries,
  file_grpc_health_v1_health,
  file_google_rpc_status,
  file_google_rpc_error_details,
];

/**
 * Server reflection serving the real FileDescriptorProtos compiled into the
 * protobuf-es code, each under its own file name and with its whole import
 * closure (google/protobuf well-known types included), so a reflection client
 * (grpcurl, grpcui, Postman) needs no proto files. The error-detail messages
 * are included so tools can decode grpc-status-details-bin.
 *
 * @grpc/reflection indexes whatever `fileDescriptorProtos` its package
 * definition carries. We hand it the real files instead of going through
 * proto-loader, whose protobufjs round trip merged a package's files into one
 * synthetic file without imports, wrote type names without their leading dot
 * and renamed map entries (issue 12: grpcurl could not resolve
 * `google.protobuf.Timestamp`, nor the health service's map field).
 */
export function reflectionService(files: readonly DescFile[] = PUBLIC_API_FILES): ReflectionService {
  const fileDescriptorProtos = withDependencies(files).map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  // The reflection service reads only `fileDescriptorProtos` from each
  // entry; one entry carries every file (the entry's shape is proto-loader's
  // smallest definition type, and its name is never shown).
  const packages: ReflectedPackages = {
    'ledger.reflected_files': { format: 'Protocol Buffer 3 EnumDescriptorProto', type: {}, fileDescriptorProtos },
  };
  return new ReflectionService(packages);
}

/** Files in dependency order (each after what it imports), each once. */
export function withDependencies(roots: readonly DescFile[]): DescFile[] {
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
