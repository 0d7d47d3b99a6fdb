import type { EventLog } from '../store/types.js';
import { allStream, lastLogPosition, type EventSource, type FilterSpec } from './event-source.js';
import type { GroupDefinition, StartFrom } from './group-definition.js';
import { settingsFromRequest, settingsProblem } from './group-settings.js';
import { pb, streamName, type CreateSettings, type StreamIdentifier, type UpdateSettings } from './proto.js';
import { invalidArgument, subscriptionFailed, type RpcError } from './rpc-errors.js';

// Create and Update requests share their shape but not their generated
// classes; these structural views let one parser read both.
interface PositionView { getCommitPosition(): string; getPreparePosition(): string }
interface StreamOptionsView {
  getStreamIdentifier(): StreamIdentifier | undefined;
  getRevisionOptionCase(): number;
  getRevision(): string;
}
interface ExpressionView { getRegex(): string; getPrefixList(): string[] }
interface FilterView { getFilterCase(): number; getStreamIdentifier(): ExpressionView | undefined; getEventType(): ExpressionView | undefined }
interface AllOptionsView {
  getAllOptionCase(): number;
  getPosition(): PositionView | undefined;
  getFilter?(): FilterView | undefined;
  getFilterOptionCase?(): number;
}
interface OptionsView {
  getStreamOptionCase(): number;
  getStream(): StreamOptionsView | undefined;
  getAll(): AllOptionsView | undefined;
  getStreamIdentifier(): StreamIdentifier | undefined;
  getGroupName(): string;
  getSettings(): CreateSettings | UpdateSettings | undefined;
}

const maxUInt64 = 18446744073709551615n;
const Case = {
  stream: pb.CreateReq.Options.StreamOptionCase.STREAM,
  all: pb.CreateReq.Options.StreamOptionCase.ALL,
  revision: pb.CreateReq.StreamOptions.RevisionOptionCase.REVISION,
  start: pb.CreateReq.StreamOptions.RevisionOptionCase.START,
  end: pb.CreateReq.StreamOptions.RevisionOptionCase.END,
  allPosition: pb.CreateReq.AllOptions.AllOptionCase.POSITION,
  allStart: pb.CreateReq.AllOptions.AllOptionCase.START,
  allEnd: pb.CreateReq.AllOptions.AllOptionCase.END,
  filter: pb.CreateReq.AllOptions.FilterOptionCase.FILTER,
  filterOnStream: pb.CreateReq.AllOptions.FilterOptions.FilterCase.STREAM_IDENTIFIER,
  filterOnType: pb.CreateReq.AllOptions.FilterOptions.FilterCase.EVENT_TYPE,
};

function parseU64(text: string): bigint | undefined {
  return /^\d+$/.test(text) ? BigInt(text) : undefined;
}

/** A revision as the server's StreamRevision.ToInt64(): u64 max means "end". */
function revisionStart(text: string): StartFrom | undefined {
  const r = parseU64(text === '' ? '0' : text);
  if (r === undefined) return undefined;
  if (r === maxUInt64) return { kind: 'end' };
  return r === 0n ? { kind: 'start' } : { kind: 'revision', revision: r };
}

function parseFilter(all: AllOptionsView): FilterSpec | undefined | RpcError {
  if (!all.getFilterOptionCase || all.getFilterOptionCase() !== Case.filter) return undefined;
  const f = all.getFilter?.();
  const onStream = f?.getFilterCase() === Case.filterOnStream;
  const expr = onStream ? f?.getStreamIdentifier() : f?.getFilterCase() === Case.filterOnType ? f.getEventType() : undefined;
  if (!expr) return invalidArgument(`'${f?.getFilterCase() ?? 0}' is not a valid FilterCase`);
  const context = onStream ? 'streamid' : 'eventtype';
  if (expr.getRegex() === '') return { context, type: 'prefix', data: expr.getPrefixList() };
  try {
    new RegExp(expr.getRegex());
  } catch {
    return invalidArgument(`'${expr.getRegex()}' is not a valid regular expression`);
  }
  return { context, type: 'regex', data: [expr.getRegex()] };
}

const isError = (v: unknown): v is RpcError => typeof v === 'object' && v !== null && 'code' in v && 'details' in v;

/** The real server's ValidateStartFrom for `$all`. */
function allStartProblem(log: EventLog, s: StartFrom, prepare: bigint): string | undefined {
  if (s.kind !== 'position') return undefined;
  if (prepare > s.commit) return 'Invalid Start From position: prepare position must be less than or equal to the commit position.';
  if (s.commit > lastLogPosition(log) && s.commit > 0n) {
    return 'Invalid Start From position: commit position must be less than or equal to the last commit position in the transaction file.';
  }
  return undefined;
}

/** Turns a Create or Update request into a group definition, or into the error the real server answers. */
export function definitionFromRequest(log: EventLog, options: OptionsView | undefined): GroupDefinition | RpcError {
  if (!options) return invalidArgument('Options are required.');
  const settingsMsg = options.getSettings();
  if (!settingsMsg) return invalidArgument('Settings are required.');
  const group = options.getGroupName();
  const settings = settingsFromRequest(settingsMsg);
  let source: EventSource;
  let startFrom: StartFrom | undefined;
  let prepare = 0n;
  const optionCase = options.getStreamOptionCase();
  if (optionCase === Case.all) {
    const all = options.getAll();
    if (!all) return invalidArgument('All options are required.');
    const filter = parseFilter(all);
    if (isError(filter)) return filter;
    source = { kind: 'all', filter };
    const c = all.getAllOptionCase();
    if (c === Case.allStart) startFrom = { kind: 'start' };
    else if (c === Case.allEnd) startFrom = { kind: 'end' };
    else if (c === Case.allPosition) {
      const commit = parseU64(all.getPosition()?.getCommitPosition() ?? '');
      prepare = parseU64(all.getPosition()?.getPreparePosition() ?? '') ?? 0n;
      if (commit !== undefined) startFrom = commit === 0n && prepare === 0n ? { kind: 'start' } : { kind: 'position', commit, prepare };
    }
    if (!startFrom) return invalidArgument(`'${c}' is not a valid AllOptionOneofCase`);
  } else {
    const stream = optionCase === Case.stream ? options.getStream() : undefined;
    const streamId = streamName(stream ? stream.getStreamIdentifier() : options.getStreamIdentifier());
    source = { kind: 'stream', streamId };
    if (stream) {
      const c = stream.getRevisionOptionCase();
      startFrom = c === Case.start ? { kind: 'start' } : c === Case.end ? { kind: 'end' } : c === Case.revision ? revisionStart(stream.getRevision()) : undefined;
    } else {
      // Clients before 21.10 (and 6.x for streams) send the start in the deprecated settings.revision.
      startFrom = revisionStart(settingsMsg.getRevision());
    }
    if (!startFrom) return invalidArgument('Invalid start revision.');
    if (streamId === '') return subscriptionFailed(streamId, group, 'Bad stream name.');
    if (streamId === allStream) {
      return subscriptionFailed(streamId, group, 'Persistent subscriptions to $all are only supported over gRPC through gRPC clients');
    }
  }
  if (group === '') return invalidArgument('Group name cannot be empty.');
  const problem = settingsProblem(settings) ?? (source.kind === 'all' ? allStartProblem(log, startFrom, prepare) : undefined);
  if (problem) return subscriptionFailed(source.kind === 'all' ? allStream : source.streamId, group, problem);
  return { source, group, startFrom, settings };
}

export { isError as isRpcError };
