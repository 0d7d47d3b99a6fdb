import type { ServerHttp2Stream } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { FRAME_HEADER } from './delivery-encoder.js';

type Call = grpc.ServerDuplexStream<unknown, unknown>;

const FLUSH_AT = 64 * 1024;

/**
 * The responses of one Read call, framed as gRPC messages and handed to
 * HTTP/2 together: what a turn of the event loop sends (typically one pump
 * of the group: every delivery the consumer's free slots allow) goes out as
 * one write, not one grpc-js write, DATA frame and callback per event on
 * each end.
 *
 * The same technique as ../grpc-frames.ts (ResponseFrames), kept apart for
 * one difference: a persistent subscription's back-pressure is the
 * consumer's buffer size (the group never has more than that in flight), so
 * this writer never asks the caller to wait for 'drain', as the Read call
 * never did with call.write. (ResponseFrames' wait can also miss a 'drain'
 * that fired before anyone asked, and then never resolves.)
 *
 * grpc-js has no public batch write: this writes to the call's HTTP/2
 * stream under grpc-js, which keeps sending headers and the trailers. Where
 * that stream cannot be found, messages go through call.write one by one.
 * Every response and the error that ends the call go through here, in order.
 */
export class DeliveryWriter {
  private pending: Buffer[] = [];
  private size = 0;
  private flushQueued = false;
  private headersSent = false;
  private readonly raw: ServerHttp2Stream | undefined;

  constructor(private readonly call: Call) {
    this.raw = http2StreamOf(call);
  }

  private get closed(): boolean {
    return this.call.cancelled || this.call.writableEnded;
  }

  /** Queues one encoded response message (without its frame header). */
  send(body: Buffer): void {
    if (this.closed) return;
    const frame = Buffer.allocUnsafe(FRAME_HEADER + body.length);
    frame[0] = 0; // not compressed
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, FRAME_HEADER);
    this.sendFrame(frame);
  }

  /** Queues one response already framed (encodeDeliveryFrame). */
  sendFrame(frame: Buffer): void {
    if (this.closed) return;
    if (this.raw === undefined) {
      this.call.write(frame.subarray(FRAME_HEADER));
      return;
    }
    this.pending.push(frame);
    this.size += frame.length;
    if (this.size >= FLUSH_AT) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
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
    this.raw.write(chunk);
  }
}

// grpc-js 1.x: ServerDuplexStreamImpl.call is the BaseServerInterceptingCall, whose `stream` is the HTTP/2 stream.
function http2StreamOf(call: Call): ServerHttp2Stream | undefined {
  const inner = (call as unknown as { call?: { stream?: unknown } }).call;
  const stream = inner?.stream as Partial<ServerHttp2Stream> | undefined;
  return stream !== undefined && typeof stream.write === 'function' && typeof stream.respond === 'function' ? (stream as ServerHttp2Stream) : undefined;
}
