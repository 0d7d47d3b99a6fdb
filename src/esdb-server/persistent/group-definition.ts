import { isConsumerStrategy, type GroupSettings } from './group-settings.js';
import { allStream, sourceName, type EventSource, type FilterSpec } from './event-source.js';

export type StartFrom =
  | { readonly kind: 'start' }
  | { readonly kind: 'end' }
  | { readonly kind: 'revision'; readonly revision: bigint }
  | { readonly kind: 'position'; readonly commit: bigint; readonly prepare: bigint };

/** Everything a group is created from; what `$persistentSubscriptionConfig` stores per entry. */
export interface GroupDefinition {
  readonly source: EventSource;
  readonly group: string;
  readonly startFrom: StartFrom;
  readonly settings: GroupSettings;
}

/** The real server's text for a start point: "0"/"-1"/revision, or "C:x/P:y" for `$all`. */
export function startFromText(def: GroupDefinition): string {
  const s = def.startFrom;
  const isAll = def.source.kind === 'all';
  switch (s.kind) {
    case 'start':
      return isAll ? 'C:0/P:0' : '0';
    case 'end':
      return isAll ? 'C:-1/P:-1' : '-1';
    case 'revision':
      return `${s.revision}`;
    case 'position':
      return `C:${s.commit}/P:${s.prepare}`;
  }
}

function parseStartFrom(text: string, isAll: boolean): StartFrom | undefined {
  if (isAll) {
    const m = /^C:(-?\d+)\/P:(-?\d+)$/.exec(text);
    if (!m?.[1] || !m[2]) return undefined;
    const commit = BigInt(m[1]);
    const prepare = BigInt(m[2]);
    if (commit === 0n && prepare === 0n) return { kind: 'start' };
    if (commit === -1n && prepare === -1n) return { kind: 'end' };
    return { kind: 'position', commit, prepare };
  }
  if (!/^-?\d+$/.test(text)) return undefined;
  const revision = BigInt(text);
  if (revision === 0n) return { kind: 'start' };
  if (revision === -1n) return { kind: 'end' };
  return { kind: 'revision', revision };
}

/** A config entry in the shape (field names) the real server writes. */
export function toConfigEntry(def: GroupDefinition): Record<string, unknown> {
  const s = def.settings;
  const filter = def.source.kind === 'all' && def.source.filter ? { ...def.source.filter, data: def.source.filter.data.join(',') } : undefined;
  return {
    stream: sourceName(def.source),
    group: def.group,
    filter,
    resolveLinkTos: s.resolveLinkTos,
    extraStatistics: s.extraStatistics,
    messageTimeout: s.messageTimeoutMs,
    maxRetryCount: s.maxRetryCount,
    liveBufferSize: s.liveBufferSize,
    readBatchSize: s.readBatchSize,
    historyBufferSize: s.historyBufferSize,
    checkPointAfter: s.checkPointAfterMs,
    minCheckPointCount: s.minCheckPointCount,
    maxCheckPointCount: s.maxCheckPointCount,
    maxSubscriberCount: s.maxSubscriberCount,
    namedConsumerStrategy: s.consumerStrategy,
    startPosition: startFromText(def),
  };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function parseFilter(v: unknown): FilterSpec | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const f = v as Record<string, unknown>;
  const context = f.context === 'eventtype' ? 'eventtype' : f.context === 'streamid' ? 'streamid' : undefined;
  const type = f.type === 'regex' ? 'regex' : f.type === 'prefix' ? 'prefix' : undefined;
  if (!context || !type || typeof f.data !== 'string') return undefined;
  return { context, type, data: type === 'regex' ? [f.data] : f.data.split(',').filter((p) => p !== '') };
}

/** Reads back an entry written by toConfigEntry; undefined for an entry it cannot trust. */
export function fromConfigEntry(entry: unknown): GroupDefinition | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  if (typeof e.stream !== 'string' || typeof e.group !== 'string' || typeof e.namedConsumerStrategy !== 'string') return undefined;
  if (!isConsumerStrategy(e.namedConsumerStrategy)) return undefined;
  const isAll = e.stream === allStream;
  const source: EventSource = isAll ? { kind: 'all', filter: parseFilter(e.filter) } : { kind: 'stream', streamId: e.stream };
  const startFrom = parseStartFrom(typeof e.startPosition === 'string' ? e.startPosition : String(e.startFrom ?? ''), isAll);
  if (!startFrom) return undefined;
  return {
    source,
    group: e.group,
    startFrom,
    settings: {
      resolveLinkTos: e.resolveLinkTos === true,
      extraStatistics: e.extraStatistics === true,
      messageTimeoutMs: num(e.messageTimeout),
      maxRetryCount: num(e.maxRetryCount),
      liveBufferSize: num(e.liveBufferSize),
      readBatchSize: num(e.readBatchSize),
      historyBufferSize: num(e.historyBufferSize),
      checkPointAfterMs: num(e.checkPointAfter),
      minCheckPointCount: num(e.minCheckPointCount),
      maxCheckPointCount: num(e.maxCheckPointCount),
      maxSubscriberCount: num(e.maxSubscriberCount),
      consumerStrategy: e.namedConsumerStrategy,
    },
  };
}
