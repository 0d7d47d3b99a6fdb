import { randomUUID } from 'node:crypto';
import {
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  convertToCommandError,
  type AppendExpectedRevision,
  type AppendResult,
  type EventData,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { internalsOf } from './client-internals.js';
import { decodeBatchAppendResp, encodeBatchAppend, type BatchAppendAnswer } from './batch-append-codec.js';

const BATCH_APPEND = '/event_store.client.streams.Streams/BatchAppend';
/** The client's defaults: its deadline per append, its chunk size. */
const DEFAULT_DEADLINE_MS = 10_000;
const CHUNK_BYTES = 3 * 1024 * 1024;

type Call = ClientDuplexStream<Buffer, BatchAppendAnswer>;
type Pending = { readonly stream: string; resolve(r: AppendResult): void; reject(e: Error): void; readonly timer: NodeJS.Timeout };
/** One BatchAppend call and the appends waiting for their answer on it. */
type Line = { readonly call: Promise<Call>; readonly pending: Map<string, Pending> };

const appenders = new WeakMap<EventStoreDBClient, BatchAppender>();

/** The client's appendToStream, on one BatchAppend call per client shared by every store of the process. */
export function appendEvents(
  client: EventStoreDBClient,
  stream: string,
  events: readonly EventData[],
  options: { readonly expectedRevision: AppendExpectedRevision; readonly deadline?: number },
): Promise<AppendResult> {
  let appender = appenders.get(client);
  if (appender === undefined) {
    appender = new BatchAppender(client);
    appenders.set(client, appender);
  }
  return appender.append(stream, events, options.expectedRevision, options.deadline ?? DEFAULT_DEADLINE_MS);
}

/**
 * Appends as the client's batchAppend does (the same call, requests and
 * errors: WrongExpectedVersionError with stream, expected and actual,
 * StreamDeletedError, AccessDeniedError, DeadlineExceededError, ...), with
 * requests written and answers read by batch-append-codec.ts instead of
 * google-protobuf objects. The call is opened through the client's channel
 * and credentials (client-internals.ts), so discovery, reconnection after a
 * failed call and dispose() stay the client's. A failed or ended call fails
 * every append waiting on it (UnavailableError when the server went away),
 * and the next append opens a new call. Each append also has a deadline
 * here, not only at the server: the client's has none, and an append on a
 * call whose server stopped answering would wait forever.
 */
export class BatchAppender {
  private line: Line | undefined;

  constructor(private readonly client: EventStoreDBClient) {}

  append(stream: string, events: readonly EventData[], expected: AppendExpectedRevision, deadlineMs: number): Promise<AppendResult> {
    const line = (this.line ??= this.open());
    const correlationId = randomUUID();
    const deadline = Date.now() + deadlineMs;
    const chunks = encodeBatchAppend(correlationId, stream, expected, deadline, events, CHUNK_BYTES);
    return new Promise<AppendResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (line.pending.delete(correlationId)) reject(new DeadlineExceededError(undefined, `append to ${stream}: no answer within ${deadlineMs} ms`));
      }, deadlineMs);
      timer.unref();
      line.pending.set(correlationId, { stream, resolve, reject, timer });
      line.call.then(
        (call) => {
          // No wait for 'drain': the callers bound what is in flight (command batches, the
          // transfer process's window), so what grpc-js buffers stays small.
          for (const chunk of chunks) call.write(chunk);
        },
        () => undefined, // The line's failure has rejected this append already.
      );
    });
  }

  private open(): Line {
    const { GRPCStreamCreator, callArguments } = internalsOf(this.client);
    const pending = new Map<string, Pending>();
    const call = GRPCStreamCreator(streamsGrpc.StreamsClient, 'lean batchAppend', (grpc) =>
      grpc.makeBidiStreamRequest(BATCH_APPEND, (b: Buffer) => b, decodeBatchAppendResp, ...callArguments({}, { deadline: Infinity })))();
    const line: Line = { call, pending };
    call.then(
      (c) => {
        c.on('data', (answer: BatchAppendAnswer) => this.answer(pending, answer));
        c.on('error', (err: Error) => this.fail(line, convertToCommandError(err)));
        c.on('end', () => this.fail(line, new UnavailableError(undefined, 'the event store ended the BatchAppend call')));
      },
      (err: Error) => this.fail(line, convertToCommandError(err)),
    );
    return line;
  }

  private answer(pending: Map<string, Pending>, a: BatchAppendAnswer): void {
    const p = pending.get(a.correlationId);
    if (p === undefined) return; // Timed out here already.
    pending.delete(a.correlationId);
    clearTimeout(p.timer);
    if (a.kind === 'success') p.resolve({ success: true, nextExpectedRevision: a.revision, position: a.position });
    else p.reject(appendError(a, p.stream));
  }

  private fail(line: Line, err: Error): void {
    if (this.line === line) this.line = undefined;
    for (const p of line.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    line.pending.clear();
  }
}

/** An append's refusal as the client's unpackToCommandError gives it. */
function appendError(a: BatchAppendAnswer & { kind: 'error' }, stream: string): Error {
  switch (a.detail) {
    case 'event_store.client.WrongExpectedVersion':
      if (a.wrongExpectedVersion === undefined) break;
      return new WrongExpectedVersionError(undefined, { streamName: stream, expected: a.wrongExpectedVersion.expected, current: a.wrongExpectedVersion.current });
    case 'event_store.client.StreamDeleted':
      return StreamDeletedError.fromStreamName(stream);
    case 'event_store.client.AccessDenied':
      return new AccessDeniedError(undefined, a.message);
    case 'event_store.client.Timeout':
      return new DeadlineExceededError(undefined, a.message);
    case 'event_store.client.MaximumAppendSizeExceeded':
      return MaxAppendSizeExceededError.fromMaxAppendSize(a.maxAppendSize ?? 0);
    case 'event_store.client.Unknown':
      return new UnknownError(undefined, a.message);
  }
  return new UnknownError(undefined, `Could not recognize ${a.message}`);
}
