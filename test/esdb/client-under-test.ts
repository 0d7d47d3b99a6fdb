/**
 * The client the event-store suites run through (issue 16): the official
 * `@eventstore/db-client` 6.x by default, or the newer
 * `@kurrent/kurrentdb-client` 1.x when `ESDB_TEST_CLIENT=kurrentdb` (the
 * vitest project `kurrentdb-client` sets it for the suites it lists). The
 * suites take the client's values (event builders, positions, error classes,
 * settings helpers) from here instead of from the package, so the same tests
 * run once per client.
 *
 * Only the chosen package is loaded: both ship google-protobuf classes that
 * register themselves under the same global names (`proto.event_store.*`),
 * and the second one loaded rewrites the first one's (its BatchAppend then
 * fails inside the client). For the same reason, with the newer client the
 * server under test runs in its own process (server-under-test.ts): the
 * server uses the older package's generated service definitions.
 */
import type * as Reference from '@eventstore/db-client';

/** The 6.x package's surface, which the suites are written against. */
type ClientModule = typeof Reference;

export type ClientName = 'eventstore' | 'kurrentdb';
export const clientName: ClientName = process.env['ESDB_TEST_CLIENT'] === 'kurrentdb' ? 'kurrentdb' : 'eventstore';

// What the suites take from the client package; the check below makes sure the newer one exports each.
const USED = [
  'ANY', 'NO_STREAM', 'STREAM_EXISTS', 'START', 'END', 'BACKWARDS',
  'jsonEvent', 'binaryEvent', 'streamNameFilter', 'eventTypeFilter', 'excludeSystemEvents',
  'persistentSubscriptionToStreamSettingsFromDefaults', 'persistentSubscriptionToAllSettingsFromDefaults',
  'StreamDeletedError', 'StreamNotFoundError', 'WrongExpectedVersionError', 'MaxAppendSizeExceededError',
  'PersistentSubscriptionDoesNotExistError', 'PersistentSubscriptionDroppedError', 'PersistentSubscriptionExistsError',
  'PersistentSubscriptionFailedError', 'PersistentSubscriptionMaximumSubscribersReachedError',
] as const;

/**
 * The newer package is the same API under a new client class name
 * (`KurrentDBClient`); its declared types differ from 6.x's where the suites
 * do not look (e.g. `readAll` is typed as an async iterator rather than a
 * stream). The suites are typed against 6.x, so this checks at run time that
 * every value they take is there, and lets the type follow.
 */
function exportsWhatTheSuitesUse(m: Record<string, unknown>): m is ClientModule & Record<string, unknown> {
  return typeof m['EventStoreDBClient'] === 'function' && USED.every((name) => m[name] !== undefined);
}

const load = async (): Promise<ClientModule> => {
  if (clientName === 'eventstore') return import('@eventstore/db-client');
  const kurrent = await import('@kurrent/kurrentdb-client');
  const facade: Record<string, unknown> = { ...kurrent, EventStoreDBClient: kurrent.KurrentDBClient };
  if (!exportsWhatTheSuitesUse(facade)) throw new Error(`@kurrent/kurrentdb-client lacks one of: ${USED.join(', ')}`);
  return facade;
};

const client = await load();

/** A client on `connectionString`, of the package under test. */
export const connect = (connectionString: string): Reference.EventStoreDBClient => client.EventStoreDBClient.connectionString(connectionString);

export const {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  START,
  END,
  BACKWARDS,
  jsonEvent,
  binaryEvent,
  streamNameFilter,
  eventTypeFilter,
  excludeSystemEvents,
  persistentSubscriptionToStreamSettingsFromDefaults,
  persistentSubscriptionToAllSettingsFromDefaults,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  MaxAppendSizeExceededError,
  PersistentSubscriptionDoesNotExistError,
  PersistentSubscriptionDroppedError,
  PersistentSubscriptionExistsError,
  PersistentSubscriptionFailedError,
  PersistentSubscriptionMaximumSubscribersReachedError,
} = client;

export type {
  EventStoreDBClient,
  Position,
  ResolvedEvent,
  PersistentSubscriptionToAll,
  PersistentSubscriptionToAllResolvedEvent,
  PersistentSubscriptionToStream,
  PersistentSubscriptionToStreamResolvedEvent,
} from '@eventstore/db-client';

// The error classes as types too, for the suites' `(err as X).field` checks.
export type StreamDeletedError = Reference.StreamDeletedError;
export type StreamNotFoundError = Reference.StreamNotFoundError;
export type WrongExpectedVersionError = Reference.WrongExpectedVersionError;
export type MaxAppendSizeExceededError = Reference.MaxAppendSizeExceededError;

/**
 * Append options expecting a stream state. 6.x names the option
 * `expectedRevision`, 1.x `streamState` (and ignores the old name). 1.x's
 * setStreamMetadata hands its options to appendToStream unchanged, so there
 * too only `streamState` reaches the server: its own `expectedRevision` is
 * dropped, a client bug in 1.3.1.
 */
export const expecting = (state: Reference.AppendExpectedRevision): Reference.AppendToStreamOptions => {
  const options = clientName === 'kurrentdb' ? { expectedRevision: state, streamState: state } : { expectedRevision: state };
  return options;
};

/** The revisions a wrong-expected-version error reports: 6.x `expectedVersion`/`actualVersion`, 1.x `expectedState`/`actualState`. */
export const versionsOf = (err: unknown): { expected: unknown; actual: unknown } => {
  if (!(err instanceof WrongExpectedVersionError)) throw new Error(`not a WrongExpectedVersionError: ${String(err)}`);
  return 'actualState' in err && 'expectedState' in err
    ? { expected: err.expectedState, actual: err.actualState }
    : { expected: err.expectedVersion, actual: err.actualVersion };
};

// 1.x reads (readStream, readAll) go through a Rust client (`@kurrent/bridge`, the `kurrentdb`
// crate), which differs from 6.x in two ways a suite can see, against any server:
/** Its read options turn a read from START into a forwards read (and from END into a backwards one), whatever direction was asked. */
export const readFromStartGoesForwards = clientName === 'kurrentdb';
/** It keeps whole seconds of an event's `created` ticks (6.x keeps milliseconds). */
export const createdResolutionMs = clientName === 'kurrentdb' ? 1000 : 1;
