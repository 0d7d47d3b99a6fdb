import type { ProposedEvent, RecordedEvent } from './types.js';

/**
 * The real server's standard projections `$by_category` and `$by_event_type`
 * emit link events (type `$>`, data `<revision>@<stream>`) into `$ce-<category>`
 * and `$et-<type>`. Only events of user streams are projected; the category
 * is the part of the stream name before the first `-`, as the default
 * `$by_category` configuration does.
 */
export interface LinkToWrite {
  readonly streamId: string;
  readonly event: ProposedEvent;
}

export const LINK_EVENT_TYPE = '$>';

export const linkData = (target: RecordedEvent): Uint8Array =>
  new Uint8Array(Buffer.from(`${target.revision.toString()}@${target.streamId}`, 'utf8'));

/** Parses `<revision>@<stream>`; undefined when it is not a link body. */
export const parseLink = (data: Uint8Array): { streamId: string; revision: bigint } | undefined => {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const at = text.indexOf('@');
  if (at <= 0) return undefined;
  const rev = text.slice(0, at);
  if (!/^\d+$/.test(rev)) return undefined;
  return { streamId: text.slice(at + 1), revision: BigInt(rev) };
};

// What the real projections put in a link's metadata; clients read `$causedBy`
// (the target's event id) and `$o` (the original stream).
const linkMetadata = (target: RecordedEvent): Uint8Array => {
  const pos = target.position.toString();
  // Stream names and ids are JSON-encoded; the rest are numbers.
  const text = `{"$v":"1:-1:1:4","$c":${pos},"$p":${pos},"$o":${JSON.stringify(target.streamId)},"$causedBy":"${target.eventId}"}`;
  return Buffer.from(text, 'utf8');
};

export const projectedLinks = (
  event: RecordedEvent,
  newEventId: () => string,
): LinkToWrite[] => {
  if (event.streamId.startsWith('$')) return [];
  const links: LinkToWrite[] = [];
  const link = (streamId: string): LinkToWrite => ({
    streamId,
    event: {
      eventId: newEventId(),
      type: LINK_EVENT_TYPE,
      contentType: 'application/octet-stream',
      data: linkData(event),
      metadata: linkMetadata(event),
    },
  });
  const dash = event.streamId.indexOf('-');
  if (dash > 0) links.push(link(`$ce-${event.streamId.slice(0, dash)}`));
  links.push(link(`$et-${event.type}`));
  return links;
};
