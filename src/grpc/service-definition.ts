import type { DescService, DescMethod } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';

/**
 * A request whose bytes do not decode as its message type. With
 * `malformedAsValue` the handler receives this instead of grpc-js answering
 * INTERNAL ("Error deserializing request"), so it can answer INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

/**
 * grpc-js serves any service given a definition with (de)serializers; this
 * builds one from a protobuf-es service descriptor, so the messages on both
 * sides are the generated protobuf-es types.
 */
export function grpcServiceDefinition(service: DescService, options: { malformedAsValue?: boolean } = {}): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) def[method.localName] = methodDefinition(service, method, options.malformedAsValue === true);
  return def as ServiceDefinition;
}

function methodDefinition(service: DescService, method: DescMethod, malformedAsValue: boolean): MethodDefinition<unknown, unknown> {
  const { input, output } = method;
  // Unknown fields are dropped on decode: they are not ours to keep.
  const decodeRequest = (buf: Buffer) => fromBinary(input, buf, { readUnknownFields: false });
  return {
    path: `/${service.typeName}/${method.name}`,
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestDeserialize: malformedAsValue
      ? (buf: Buffer) => {
          try {
            return decodeRequest(buf);
          } catch (e) {
            return new MalformedRequest(input.typeName, e instanceof Error ? e.message : String(e));
          }
        }
      : decodeRequest,
    requestSerialize: (msg: unknown) => Buffer.from(toBinary(input, create(input, msg as never))),
    responseDeserialize: (buf: Buffer) => fromBinary(output, buf, { readUnknownFields: false }),
    responseSerialize: (msg: unknown) => Buffer.from(toBinary(output, create(output, msg as never))),
    originalName: method.localName,
  };
}
