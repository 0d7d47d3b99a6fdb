import sharedPb from '@eventstore/db-client/generated/shared_pb.js';

/** What a RecordedEvent fixture may set; the rest takes the defaults below. */
export type RecordedEventOptions = {
  stream?: string; revision?: string; position?: string; contentType?: string; type?: string;
  data?: string | Uint8Array; metadata?: string; id?: InstanceType<typeof sharedPb.UUID>;
};

/** The setters the client's generated RecordedEvent classes share (streams.proto and persistent.proto number and name them alike). */
interface RecordedEventPb {
  setId(value?: InstanceType<typeof sharedPb.UUID>): unknown;
  setStreamIdentifier(value?: InstanceType<typeof sharedPb.StreamIdentifier>): unknown;
  setStreamRevision(value: string): unknown;
  setPreparePosition(value: string): unknown;
  setCommitPosition(value: string): unknown;
  setData(value: Uint8Array | string): unknown;
  setCustomMetadata(value: Uint8Array | string): unknown;
  getMetadataMap(): { set(key: string, value: string): unknown };
}

/**
 * A RecordedEvent built with the client's own generated class, as a server
 * would send it, for the lean decoders' tests to compare with the client's
 * conversion of the same bytes.
 */
export function recordedEventPb<R extends RecordedEventPb>(RecordedEvent: new () => R, opts: RecordedEventOptions = {}): R {
  const r = new RecordedEvent();
  r.setId(opts.id ?? new sharedPb.UUID().setString('5f0e7c4e-2b1a-4c1f-9a55-1b8f3c2d4e6f'));
  r.setStreamIdentifier(new sharedPb.StreamIdentifier().setStreamName(Buffer.from(opts.stream ?? 'account-a1')));
  r.setStreamRevision(opts.revision ?? '7');
  r.setPreparePosition(opts.position ?? '123456');
  r.setCommitPosition(opts.position ?? '123456');
  r.setData(typeof opts.data === 'string' || opts.data === undefined ? Buffer.from(opts.data ?? '{"amount":"3"}') : opts.data);
  if (opts.metadata !== undefined) r.setCustomMetadata(Buffer.from(opts.metadata));
  const metadata = r.getMetadataMap();
  metadata.set('type', opts.type ?? 'MoneyDeposited');
  metadata.set('content-type', opts.contentType ?? 'application/json');
  metadata.set('created', '17640811234567890');
  return r;
}
