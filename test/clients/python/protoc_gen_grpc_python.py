"""protoc plugin for the gRPC Python stubs, for `buf generate`.

grpcio-tools has the grpc_python generator compiled into its protoc
(`python -m grpc_tools.protoc --grpc_python_out=...`) but ships no
protoc-gen-grpc_python executable, and buf's protoc_builtin only knows
protoc's own generators. This reads buf's CodeGeneratorRequest, hands its
descriptors to that protoc, and answers with the files it wrote.
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse()
    response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = os.path.join(tmp, "in.binpb")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        option = f"--grpc_python_out={request.parameter}:{out}" if request.parameter else f"--grpc_python_out={out}"
        code = protoc.main(["protoc", f"--descriptor_set_in={descriptors}", option, *request.file_to_generate])
        if code != 0:
            response.error = f"grpc_tools.protoc exited {code}"
        else:
            for root, _, names in os.walk(out):
                for name in sorted(names):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as f:
                        response.file.add(name=os.path.relpath(path, out), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
