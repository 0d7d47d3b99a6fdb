import { streamsPb } from '../generated.js';
import type { RecordedEvent } from '../store/types.js';
import { decodeRevision, decodeStreamName } from './decode-request.js';
import { BadRequest, invalidArgument } from './rpc-errors.js';

type ReadOptions = InstanceType<typeof streamsPb.ReadReq.Options>;

/** A Streams.Read request, decoded and validated. */
export interface ReadRequest {
  readonly source:
    | { readonly kind: 'stream'; readonly streamId: string; readonly from: bigint | 'start' | 'end' }
    | { readonly kind: 'all'; readonly from: bigint | 'start' | 'end' };
  readonly direction: 'forwards' | 'backwards';
  readonly resolveLinks: boolean;
  /** undefined for a subscription. */
  readonly count: bigint | undefined;
  readonly filter: ((e: RecordedEvent) => boolean) | undefined;
  /** Records examined between two checkpoints of a filtered subscription. */
  readonly checkpointInterval: number;
  /** The uuid option: ids as their two 64-bit halves (structured) instead of text. */
  readonly structuredIds: boolean;
}

// The real server's default max search window for filtered reads.
const DEFAULT_WINDOW = 32;

const decodeFilter = (o: ReadOptions): Pick<ReadRequest, 'filter' | 'checkpointInterval'> => {
  const f = o.getFilter();
  if (!o.hasFilter() || f === undefined) return { filter: undefined, checkpointInterval: 0 };
  const onStream = f.hasStreamIdentifier();
  const expr = onStream ? f.getStreamIdentifier() : f.getEventType();
  if (expr === undefined) throw new BadRequest(invalidArgument('Filter expression is missing'));
  const regexText = expr.getRegex();
  const prefixes = expr.getPrefixList();
  let regex: RegExp | undefined;
  if (regexText.length > 0) {
    try {
      regex = new RegExp(regexText);
    } catch {
      throw new BadRequest(invalidArgument(`Invalid filter regex '${regexText}'`));
    }
  }
  const matches = (value: string): boolean =>
    (regex !== undefined && regex.test(value)) || prefixes.some((p) => value.startsWith(p)) || (regex === undefined && prefixes.length === 0);
  const window = f.hasMax() && f.getMax() > 0 ? f.getMax() : DEFAULT_WINDOW;
  const multiplier = f.getCheckpointintervalmultiplier() > 0 ? f.getCheckpointintervalmultiplier() : 1;
  return {
    filter: onStream ? (e) => matches(e.streamId) : (e) => matches(e.type),
    checkpointInterval: window * multiplier,
  };
};

export const decodeReadRequest = (o: ReadOptions | undefined): ReadRequest => {
  if (o === undefined) throw new BadRequest(invalidArgument('Read options are missing'));
  let source: ReadRequest['source'];
  if (o.hasStream()) {
    const s = o.getStream();
    const streamId = decodeStreamName(s?.getStreamIdentifier());
    const from = s?.hasRevision() ? decodeRevision(s.getRevision(), 'Revision') : s?.hasEnd() ? 'end' : 'start';
    source = { kind: 'stream', streamId, from };
  } else if (o.hasAll()) {
    const a = o.getAll();
    const p = a?.getPosition();
    const from = a?.hasPosition() && p !== undefined ? decodeRevision(p.getCommitPosition(), 'Commit position') : a?.hasEnd() ? 'end' : 'start';
    source = { kind: 'all', from };
  } else {
    throw new BadRequest(invalidArgument('Read needs a stream or $all'));
  }
  const count = o.hasSubscription() ? undefined : o.hasCount() ? decodeRevision(o.getCount(), 'Count') : undefined;
  if (!o.hasSubscription() && count === undefined) throw new BadRequest(invalidArgument('Read needs a count or a subscription'));
  return {
    source,
    direction: o.getReadDirection() === streamsPb.ReadReq.Options.ReadDirection.BACKWARDS ? 'backwards' : 'forwards',
    resolveLinks: o.getResolveLinks(),
    count,
    structuredIds: o.getUuidOption()?.hasStructured() === true,
    ...decodeFilter(o),
  };
};
