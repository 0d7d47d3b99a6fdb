/**
 * Who sent a call (issue 13): the identity the API authenticated, how, and
 * whether it may act on every account. `id` is what owner_id is compared
 * with; it is recorded as the `actor` of every event the call appends.
 */
export type AuthMethod = 'jwt' | 'mtls' | 'none';

export type Principal = {
  readonly id: string;
  readonly method: AuthMethod;
  /** Holds the operator role: may act on and read any owner's accounts. */
  readonly operator: boolean;
};

/**
 * The caller under AUTH_MODE=none (local use only): nobody is authenticated,
 * so nobody can be told apart and everyone acts as an operator.
 */
export const ANONYMOUS: Principal = { id: 'anonymous', method: 'none', operator: true };
