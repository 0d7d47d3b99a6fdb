import { sharedPb, streamsPb } from '../generated.js';
import type { RecordedEvent, ResolvedEvent } from '../store/types.js';
import { encodeReadEvent } from '../read-event-encoder.js';

type GrpcRecorded = InstanceType<typeof streamsPb.ReadResp.ReadEvent.RecordedEvent>;

export const streamIdentifier = (streamId: string): InstanceType<typeof sharedPb.StreamIdentifier> =>
  new sharedPb.StreamIdentifier().setStreamName(Buffer.from(streamId, 'utf8'));

export const grpcUuid = (id: string): InstanceType<typeof sharedPb.UUID> => new sharedPb.UUID().setString(id);

const toRecorded = (e: RecordedEvent): GrpcRecorded => {
  const r = new streamsPb.ReadResp.ReadEvent.RecordedEvent()
    .setId(grpcUuid(e.eventId))
    .setStreamIdentifier(streamIdentifier(e.streamId))
    .setStreamRevision(e.revision.toString())
    .setPreparePosition(e.position.toString())
    .setCommitPosition(e.position.toString())
    .setData(e.data)
    .setCustomMetadata(e.metadata);
  const m = r.getMetadataMap();
  m.set('type', e.type);
  m.set('content-type', e.contentType);
  m.set('created', e.created.toString());
  return r;
};

export const toReadEvent = (e: ResolvedEvent): InstanceType<typeof streamsPb.ReadResp.ReadEvent> => {
  const out = new streamsPb.ReadResp.ReadEvent().setCommitPosition(e.commitPosition.toString());
  if (e.event !== undefined) out.setEvent(toRecorded(e.event));
  if (e.link !== undefined) out.setLink(toRecorded(e.link));
  return out;
};

/** What the Read RPC writes: a message object, or an event response already encoded. */
export type ReadResponse = InstanceType<typeof streamsPb.ReadResp> | Buffer;

/** `structuredIds`: the request's uuid option asked for ids as two 64-bit halves rather than text. */
export const eventResponse = (e: ResolvedEvent, structuredIds = false): ReadResponse => encodeReadEvent(e, { structuredIds, framed: false });
