import type * as grpc from '@grpc/grpc-js';
import { streamsPb } from '../generated.js';
import type { StreamStore } from '../store/stream-store.js';
import type { ResolvedEvent } from '../store/types.js';
import type { ReadRequest } from './read-request.js';
import { streamDeleted } from './rpc-errors.js';
import { type ReadResponse, eventResponse, streamIdentifier } from './to-grpc.js';
import { ResponseFrames } from '../grpc-frames.js';

const PAGE = 512;

const writeAll = async (out: ResponseFrames, events: readonly ResolvedEvent[], structuredIds: boolean): Promise<void> => {
  for (const e of events) {
    const wait = out.send(eventResponse(e, structuredIds));
    if (wait !== undefined) await wait;
  }
};

/** A one-shot read of a stream or $all, paged so a large read never sits in memory at once. */
export const readOnce = async (
  store: StreamStore,
  req: ReadRequest,
  count: bigint,
  call: grpc.ServerWritableStream<unknown, ReadResponse>,
): Promise<void> => {
  let left = count;
  const out = ResponseFrames.of(call);
  if (req.source.kind === 'stream') {
    const streamId = req.source.streamId;
    let from = req.source.from;
    for (;;) {
      const page = left < BigInt(PAGE) ? left : BigInt(PAGE);
      const r = store.readStream(streamId, { direction: req.direction, from, maxCount: page, resolveLinks: req.resolveLinks });
      if (r.kind === 'deleted') {
        if (from === req.source.from) {
          out.fail(streamDeleted(streamId));
          return;
        }
        break;
      }
      if (r.kind === 'not_found') {
        if (from === req.source.from) {
          out.send(
            new streamsPb.ReadResp().setStreamNotFound(new streamsPb.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamId))),
          );
        }
        break;
      }
      await writeAll(out, r.events, req.structuredIds);
      left -= BigInt(r.events.length);
      const last = r.events[r.events.length - 1];
      if (left <= 0n || last === undefined || BigInt(r.events.length) < page || call.cancelled) break;
      // Continue from the stream revision of the last record (the link itself when resolved).
      const rev = (last.link ?? last.event)?.revision ?? 0n;
      if (req.direction === 'forwards') from = rev + 1n;
      else if (rev === 0n) break;
      else from = rev - 1n;
    }
    return out.end();
  }
  let from: bigint | 'start' | 'end' = req.source.from;
  for (;;) {
    const page = left < BigInt(PAGE) ? Number(left) : PAGE;
    const r = store.readAll({ direction: req.direction, from, maxCount: page, resolveLinks: req.resolveLinks, filter: req.filter });
    await writeAll(out, r.events, req.structuredIds);
    left -= BigInt(r.events.length);
    if (left <= 0n || r.endOfLog || call.cancelled) break;
    from = r.nextPosition;
  }
  out.end();
};
