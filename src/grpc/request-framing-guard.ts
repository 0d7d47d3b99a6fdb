import { ServerInterceptingCall, status, type ServerInterceptor, type ServerInterceptingCallInterface } from '@grpc/grpc-js';

/**
 * Two request-framing rules of the gRPC spec that @grpc/grpc-js 1.14 does
 * not keep (grpc/grpc-node#2767), guarded here because breaking them had
 * effects (issue 12):
 *
 * 1. A message whose Compressed-Flag is set while the call negotiated no
 *    encoding (no `grpc-encoding`, or `identity`) MUST fail with INTERNAL
 *    (doc/compression.md, test case 3). grpc-js read such a frame as plain
 *    bytes, so a Deposit sent that way was appended.
 * 2. A unary method takes exactly one request message; zero or two are a
 *    cardinality violation, UNIMPLEMENTED (doc/statuscodes.md), as grpc-js
 *    answers, but its text spoke of a "server streaming method".
 *
 * A malformed `grpc-timeout` is left to grpc-js: it answers INTERNAL
 * "Invalid grpc-timeout value", as grpc-go does ("malformed grpc-timeout").
 *
 * Must be the first interceptor: rule 1 needs the call grpc-js built for
 * the HTTP/2 stream, the only place the message frames' first byte is seen.
 */
export function requestFramingGuard(): ServerInterceptor {
  return (method, call) => {
    refuseCompressedWithoutEncoding(call);
    if (method.requestStream) return new ServerInterceptingCall(call);
    let received = 0;
    let refused = false;
    const guarded: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message, pass) => {
            if (refused) return;
            received += 1;
            if (received === 1) return pass(message);
            refused = true;
            guarded.sendStatus({ code: status.UNIMPLEMENTED, details: `unary method ${method.path} received a second request message; send exactly one` });
          },
          onReceiveHalfClose: (pass) => {
            if (refused) return;
            if (received > 0) return pass();
            refused = true;
            guarded.sendStatus({ code: status.UNIMPLEMENTED, details: `unary method ${method.path} received no request message; send exactly one` });
          },
        }),
    });
    return guarded;
  };
}

/** grpc-js's per-stream call decodes each frame through this method (its first byte is the Compressed-Flag). */
type DecompressingCall = { decompressMessage(frame: Buffer, encoding: string): Buffer | Promise<Buffer> };
const isDecompressing = (call: object): call is DecompressingCall =>
  'decompressMessage' in call && typeof call.decompressMessage === 'function';

function refuseCompressedWithoutEncoding(call: ServerInterceptingCallInterface): void {
  // Absent when grpc-js changes its internals; test/commands/raw-http2.int.test.ts then fails.
  if (!isDecompressing(call)) return;
  const decompress = call.decompressMessage.bind(call);
  // grpc-js passes 'identity' for a flagged frame when the call negotiated no encoding.
  call.decompressMessage = (frame, encoding) =>
    frame[0] === 1 && encoding === 'identity'
      ? Promise.reject({
          code: status.INTERNAL,
          details: 'request message has the Compressed-Flag set but the call has no grpc-encoding (or identity): refused',
        })
      : decompress(frame, encoding);
}
