import type { ServerHttp2Stream as Http2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';

/** Bytes before each gRPC message: a compressed flag and the length. */
export const FRAME_HEADER = 5;

/** A response the service writes: bytes already encoded, or a google-protobuf message. */
export type Encodable = Buffer | { serializeBinary(): Uint8Array };

type Call = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

const FLUSH_AT = 64 * 1024;
const writers = new WeakMap<object, ResponseFrames>();

/**
 * The responses of one server-streaming or bidi call, framed as gRPC
 * messages and handed to HTTP/2 together: everything written in one turn of
 * the event loop (or up to 64 KiB) goes out as one write. Going through
 * grpc-js one message at a time costs a stream write, a DATA frame and a
 * callback per message on both ends; reading `$all` through
 * @eventstore/db-client, the client then spends more CPU than the server.
 *
 * grpc-js has no public batch write, so this writes to the call's HTTP/2
 * stream under grpc-js (headers and trailers stay with grpc-js). Where that
 * stream cannot be found (another grpc-js layout, interceptors), messages go
 * through `call.write` one by one as before. Every write, end and error of a
 * call must then go through its ResponseFrames, so their order holds.
 */
export class ResponseFrames {
  private pending: Buffer[] = [];
  private size = 0;
  private flushQueued = false;
  private headersSent = false;
  /** Pending while HTTP/2 holds more than its buffer allows; one wait shared by all senders. */
  private drain: Promise<void> | undefined;

  private constructor(
    private readonly call: Call,
    private readonly raw: Http2Stream | undefined,
  ) {}

  static of(call: Call): ResponseFrames {
    let w = writers.get(call);
    if (w === undefined) {
      w = new ResponseFrames(call, http2StreamOf(call));
      writers.set(call, w);
    }
    return w;
  }

  private get closed(): boolean {
    return this.call.cancelled || this.call.writableEnded;
  }

  /**
   * Queues a response; returns a promise only when the transport asks the
   * writer to wait. (Callers whose own protocol bounds what is in flight,
   * as persistent subscriptions' buffer size does, may ignore it.)
   */
  send(msg: Encodable): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.raw === undefined) return this.callWrite(msg);
    const body = Buffer.isBuffer(msg) ? msg : Buffer.from(msg.serializeBinary());
    const header = Buffer.allocUnsafe(FRAME_HEADER);
    header[0] = 0; // not compressed
    header.writeUInt32BE(body.length, 1);
    this.queue(header);
    return this.queue(body);
  }

  /** Queues a response encoded with its frame header already in front (saves a copy on hot paths). */
  sendFramed(frame: Buffer): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.raw === undefined) return this.callWrite(frame.subarray(FRAME_HEADER));
    return this.queue(frame);
  }

  private queue(bytes: Buffer): Promise<void> | undefined {
    this.pending.push(bytes);
    this.size += bytes.length;
    if (this.size >= FLUSH_AT) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
    return this.drain;
  }

  /** Ends the call with OK after everything queued. */
  end(): void {
    this.flush();
    if (!this.call.writableEnded) this.call.end();
  }

  /** Ends the call with an error status after everything queued. */
  fail(err: Partial<grpc.StatusObject>): void {
    this.flush();
    this.call.emit('error', err);
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.pending.length === 0 || this.raw === undefined) return;
    const chunk = Buffer.concat(this.pending, this.size);
    this.pending = [];
    this.size = 0;
    if (this.closed || this.raw.destroyed) return;
    // Headers go out through grpc-js (once), so it knows to send trailers at the end.
    if (!this.headersSent) {
      this.headersSent = true;
      this.call.sendMetadata(new grpc.Metadata());
    }
    if (!this.raw.write(chunk)) this.waitForDrain(this.raw);
  }

  // Listens from the moment the write is refused, so a 'drain' that comes
  // before anyone asks to wait is not missed.
  private waitForDrain(raw: Http2Stream): void {
    if (this.drain !== undefined) return;
    this.drain = new Promise<void>((resolve) => {
      const done = (): void => {
        this.drain = undefined;
        raw.off('drain', done);
        raw.off('close', done);
        this.call.off('cancelled', done);
        resolve();
      };
      raw.on('drain', done);
      raw.on('close', done);
      this.call.on('cancelled', done);
    });
  }

  private callWrite(msg: Encodable): Promise<void> | undefined {
    if (this.call.write(msg)) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.call.off('drain', done);
        this.call.off('cancelled', done);
        this.call.off('close', done);
        resolve();
      };
      this.call.on('drain', done);
      this.call.on('cancelled', done);
      this.call.on('close', done);
    });
  }
}

// grpc-js 1.x: ServerWritableStreamImpl.call is the BaseServerInterceptingCall, whose `stream` is the HTTP/2 stream.
const http2StreamOf = (call: Call): Http2Stream | undefined => {
  const inner = (call as unknown as { call?: { stream?: unknown } }).call;
  const stream = inner?.stream as Partial<Http2Stream> | undefined;
  return stream !== undefined && typeof stream.write === 'function' && typeof stream.respond === 'function' ? (stream as Http2Stream) : undefined;
};
