import type { DescService, DescMethod } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';

/**
 * grpc-js serves any service given a definition with (de)serializers; this
 * builds one from a protobuf-es service descriptor, so the messages on both
 * sides are the generated protobuf-es types.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) def[method.localName] = methodDefinition(service, method);
  return def as ServiceDefinition;
}

function methodDefinition(service: DescService, method: DescMethod): MethodDefinition<unknown, unknown> {
  const { input, output } = method;
  return {
    path: `/${service.typeName}/${method.name}`,
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    // Unknown fields are dropped on decode: they are not ours to keep.
    requestDeserialize: (buf: Buffer) => fromBinary(input, buf, { readUnknownFields: false }),
    requestSerialize: (msg: unknown) => Buffer.from(toBinary(input, create(input, msg as never))),
    responseDeserialize: (buf: Buffer) => fromBinary(output, buf, { readUnknownFields: false }),
    responseSerialize: (msg: unknown) => Buffer.from(toBinary(output, create(output, msg as never))),
    originalName: method.localName,
  };
}
