import * as net from 'node:net';
import * as tls from 'node:tls';
import type * as http from 'node:http';
import type { ConnectionInjector } from '@grpc/grpc-js';

/** What every HTTP/2 connection starts with (RFC 9113 §3.4); gRPC clients send it at once (prior knowledge). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface SharedPortOptions {
  readonly host: string;
  readonly port: number;
  /** Takes the HTTP/2 connections (gRPC). */
  readonly grpc: ConnectionInjector;
  /** Takes everything else (HTTP/1.x). */
  readonly http: http.Server;
  /** Secure mode: TLS terminated here, the protocol chosen by ALPN. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer };
}

export interface SharedPort {
  readonly port: number;
  /** Stops accepting connections; open ones are left to their servers to drain. */
  close(): Promise<void>;
}

/**
 * One port for gRPC and HTTP, as a real node serves both on 2113. The choice is
 * made once per connection (the first bytes, or the TLS handshake's ALPN), so a
 * gRPC call costs nothing more than on a port of its own.
 */
export const listenSharedPort = async (opts: SharedPortOptions): Promise<SharedPort> => {
  // Connections not yet handed over (sniffing, or in the TLS handshake): nobody else will close them.
  const unrouted = new Set<net.Socket>();
  const toHttp = (socket: net.Socket): void => {
    opts.http.emit('connection', socket);
    // Paused while sniffing; node:http reads through 'data' and does not resume a paused socket itself.
    socket.resume();
  };
  const listener =
    opts.tls === undefined
      ? net.createServer((socket) => {
          unrouted.add(socket);
          socket.once('close', () => unrouted.delete(socket));
          routeByPreface(socket, (isGrpc) => {
            unrouted.delete(socket);
            if (isGrpc) opts.grpc.injectConnection(socket);
            else toHttp(socket);
          });
        })
      : tls.createServer(
          {
            cert: opts.tls.cert,
            key: opts.tls.key,
            ...(opts.tls.ca === undefined ? {} : { ca: opts.tls.ca, requestCert: true }),
            // As the gRPC credentials did: client certificates asked for, never required.
            rejectUnauthorized: false,
            ALPNProtocols: ['h2', 'http/1.1'],
          },
          (socket) => (socket.alpnProtocol === 'h2' ? opts.grpc.injectConnection(socket) : toHttp(socket)),
        );
  // A failed handshake concerns that connection only.
  listener.on('tlsClientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.port, opts.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error(`listening on ${opts.host}:${opts.port} gave no port`);
  return {
    port: address.port,
    close: async () => {
      // Stop accepting; the servers the connections went to drain and close them.
      listener.close();
      for (const socket of unrouted) socket.destroy();
    },
  };
};

/**
 * Reads until the bytes seen either are the HTTP/2 preface or cannot start it,
 * puts them back, and hands the socket over. An HTTP/1 request line never
 * starts with `PRI * HTTP/2.0`.
 */
const routeByPreface = (socket: net.Socket, route: (isHttp2: boolean) => void): void => {
  let head: Buffer = Buffer.alloc(0);
  const onError = (): void => {
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const n = Math.min(head.length, HTTP2_PREFACE.length);
    const isPreface = head.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (isPreface && n < HTTP2_PREFACE.length) return;
    socket.off('data', onData);
    socket.off('error', onError);
    socket.pause();
    socket.unshift(head);
    route(isPreface);
  };
  socket.on('error', onError);
  socket.on('data', onData);
};
