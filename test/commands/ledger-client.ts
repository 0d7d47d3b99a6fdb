import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { BadRequestSchema, ErrorInfoSchema, type BadRequest, type ErrorInfo } from '../../src/grpc/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../src/grpc/gen/google/rpc/status_pb.js';

/** A call's outcome as a client sees it: the answer, or the status with its rich details. */
export type Answer<O> =
  | { readonly ok: true; readonly response: O; readonly trailer: Metadata }
  | { readonly ok: false; readonly code: status; readonly message: string; readonly errorInfo?: ErrorInfo; readonly badRequest?: BadRequest };

/** A plain grpc-js client speaking protobuf-es messages, as any user would write one. */
export class LedgerClient {
  readonly grpc: Client;

  constructor(address: string, channelCredentials = credentials.createInsecure()) {
    this.grpc = new Client(address, channelCredentials);
  }

  call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options: { deadlineMs?: number; metadata?: Metadata } = {},
  ): Promise<Answer<MessageShape<O>>> {
    const bytes = Buffer.from(toBinary(method.input, create(method.input, request)));
    return this.callRaw(method, bytes, options);
  }

  /** Sends bytes as they are, for encodings the generated code would never produce. */
  callRaw<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    bytes: Buffer,
    options: { deadlineMs?: number; metadata?: Metadata } = {},
  ): Promise<Answer<MessageShape<O>>> {
    const path = `/${method.parent.typeName}/${method.name}`;
    return new Promise((resolve) => {
      // grpc-js calls back before it emits 'status' (which carries the trailer): answer on 'status'.
      let outcome: { err: ServiceError | null; response: MessageShape<O> | undefined } | undefined;
      const call = this.grpc.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(method.output, b),
        bytes,
        options.metadata ?? new Metadata(),
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
        (err: ServiceError | null, response?: MessageShape<O>) => {
          outcome = { err, response };
        },
      );
      call.on('status', (s) => {
        setImmediate(() => {
          if (!outcome || outcome.err || outcome.response === undefined) resolve(failure(outcome?.err ?? null));
          else resolve({ ok: true, response: outcome.response, trailer: s.metadata });
        });
      });
    });
  }

  close(): void {
    this.grpc.close();
  }
}

function failure<O>(err: ServiceError | null): Answer<O> {
  if (!err) return { ok: false, code: status.UNKNOWN, message: 'no response' };
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  const answer: { ok: false; code: status; message: string; errorInfo?: ErrorInfo; badRequest?: BadRequest } = {
    ok: false,
    code: err.code,
    message: err.details,
  };
  if (raw instanceof Buffer) {
    const details = fromBinary(StatusSchema, raw);
    for (const any of details.details) {
      const info = anyUnpack(any, ErrorInfoSchema);
      if (info) answer.errorInfo = info;
      const bad = anyUnpack(any, BadRequestSchema);
      if (bad) answer.badRequest = bad;
    }
  }
  return answer;
}
