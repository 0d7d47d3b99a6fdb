import type * as grpc from '@grpc/grpc-js';
import { parseBasicCredentials } from './basic-credentials.js';
import type { Principal } from './principal.js';
import type { StreamAccessPolicy } from './stream-acl.js';
import { internal, type RpcError } from '../streams/rpc-errors.js';
import type { UserAccounts } from './user-accounts.js';

/** The caller of one call: a user, anonymous (no credentials), or refused credentials. */
export type Caller = { readonly refused: false; readonly principal: Principal | undefined } | { readonly refused: true };

const ANONYMOUS: Caller = { refused: false, principal: undefined };
const REFUSED: Caller = { refused: true };

/** Who calls (from the call's Basic credentials) and what the ACLs let them do; secure mode only. */
export class CallAuthority {
  constructor(
    readonly accounts: UserAccounts,
    readonly policy: StreamAccessPolicy,
  ) {}

  async identify(metadata: grpc.Metadata): Promise<Caller> {
    const credentials = parseBasicCredentials(metadata.get('authorization')[0]);
    if (credentials === undefined) return ANONYMOUS;
    if (credentials === 'malformed') return REFUSED;
    const principal = await this.accounts.authenticate(credentials);
    return principal === undefined ? REFUSED : { refused: false, principal };
  }
}

/**
 * Runs `handle` once the caller is known. A failure of either (a bug, or a
 * request the guard could not read) answers INTERNAL through `fail` rather
 * than becoming an unhandled rejection that would stop the server.
 */
export const withCaller = (authority: CallAuthority, metadata: grpc.Metadata, fail: (e: RpcError) => void, handle: (caller: Caller) => unknown): void => {
  authority
    .identify(metadata)
    .then(handle)
    .catch(() => fail(internal()));
};

/** The stream a request names, or undefined when it cannot be read: the handler then answers INVALID_ARGUMENT itself. */
export const streamNamed = (decode: () => string): string | undefined => {
  try {
    return decode();
  } catch {
    return undefined;
  }
};
