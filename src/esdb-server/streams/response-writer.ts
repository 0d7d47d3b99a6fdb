import type * as grpc from '@grpc/grpc-js';

/**
 * Writes to a server stream honouring back-pressure: resolves at once while
 * the transport buffer has room, otherwise after 'drain' (or when the call
 * goes away, so a vanished client never leaves a reader waiting forever).
 */
export const writeOrWait = <T>(call: grpc.ServerWritableStream<unknown, T>, msg: T): Promise<void> | undefined => {
  if (call.cancelled || call.writableEnded) return undefined;
  if (call.write(msg)) return undefined;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
};
