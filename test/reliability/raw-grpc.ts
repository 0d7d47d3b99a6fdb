import { fromBinary } from '@bufbuild/protobuf';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { StatusSchema } from '../../src/grpc/gen/google/rpc/status_pb.js';

/** What came back for one raw call: a gRPC status code and, when not OK, whether it was well formed. */
export interface RawAnswer {
  readonly code: status;
  readonly details: string;
  /** Set when the status was not a proper one (unknown code, details that do not decode, a mismatch). */
  readonly problem?: string;
}

/** Sends bytes as they are to `path` and reports the status, never throwing. */
export function callRaw(client: Client, path: string, bytes: Buffer, deadlineMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err: ServiceError | null) => resolve(err === null ? { code: status.OK, details: '' } : inspect(err)),
    );
  });
}

function inspect(err: ServiceError): RawAnswer {
  const answer = { code: err.code, details: err.details };
  if (!Number.isInteger(err.code) || err.code < 1 || err.code > 16) return { ...answer, problem: `status code ${err.code}` };
  // The rich error model: when details are attached they must decode and agree with the code.
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (raw instanceof Buffer) {
    try {
      const rich = fromBinary(StatusSchema, raw);
      if (rich.code !== err.code) return { ...answer, problem: `details say code ${rich.code}, status says ${err.code}` };
    } catch (e) {
      return { ...answer, problem: `grpc-status-details-bin does not decode: ${String(e)}` };
    }
  }
  return answer;
}

export const newRawClient = (address: string): Client => new Client(address, credentials.createInsecure());
