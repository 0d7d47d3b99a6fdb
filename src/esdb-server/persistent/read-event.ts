import type { RecordedEvent } from '../store/types.js';
import type { GroupMessage } from './group-message.js';
import { pb, shared } from './proto.js';

type UUID = InstanceType<typeof shared.UUID>;
type ReadEvent = InstanceType<typeof pb.ReadResp.ReadEvent>;

/** Ids go out in the form the subscriber asked for (`uuid_option`): text, or two signed 64-bit halves. */
export function uuidMessage(id: string, structured: boolean): UUID {
  const uuid = new shared.UUID();
  if (!structured) return uuid.setString(id);
  const hex = id.replace(/-/g, '');
  const half = (h: string): string => BigInt.asIntN(64, BigInt(`0x${h}`)).toString();
  return uuid.setStructured(
    new shared.UUID.Structured().setMostSignificantBits(half(hex.slice(0, 16))).setLeastSignificantBits(half(hex.slice(16, 32))),
  );
}

/** Reads an id sent in an ack or nack, whichever form the client used; undefined when malformed. */
export function uuidText(uuid: UUID): string | undefined {
  if (uuid.hasStructured()) {
    const s = uuid.getStructured();
    if (!s) return undefined;
    try {
      const hi = BigInt.asUintN(64, BigInt(s.getMostSignificantBits())).toString(16).padStart(16, '0');
      const lo = BigInt.asUintN(64, BigInt(s.getLeastSignificantBits())).toString(16).padStart(16, '0');
      const hex = hi + lo;
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    } catch {
      return undefined;
    }
  }
  const text = uuid.getString().toLowerCase();
  return text === '' ? undefined : text;
}

function recorded(e: RecordedEvent, structured: boolean): InstanceType<typeof pb.ReadResp.ReadEvent.RecordedEvent> {
  const r = new pb.ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(e.eventId, structured))
    .setStreamIdentifier(new shared.StreamIdentifier().setStreamName(Buffer.from(e.streamId, 'utf8')))
    .setStreamRevision(`${e.revision}`)
    .setPreparePosition(`${e.position}`)
    .setCommitPosition(`${e.position}`)
    .setData(e.data)
    .setCustomMetadata(e.metadata);
  const meta = r.getMetadataMap();
  meta.set('type', e.type);
  meta.set('created', `${e.created}`);
  meta.set('content-type', e.contentType);
  return r;
}

/** The wire form of a delivery, with the retry count the client reports as `retryCount`. */
export function readEvent(message: GroupMessage, structuredIds: boolean): ReadEvent {
  const { event, link, commitPosition } = message.event;
  const out = new pb.ReadResp.ReadEvent().setCommitPosition(`${commitPosition}`).setRetryCount(message.retryCount);
  if (event) out.setEvent(recorded(event, structuredIds));
  if (link) out.setLink(recorded(link, structuredIds));
  return out;
}
