/**
 * Who a call is made by, once its credentials are checked: a user name and
 * the groups (roles) the user is in. `undefined` stands for an anonymous
 * caller (no credentials), which 23.10 lets at no stream by default
 * (AllowAnonymousStreamAccess false).
 */
export interface Principal {
  readonly name: string;
  readonly groups: readonly string[];
}

export const ADMINS = '$admins';
export const OPS = '$ops';

/** As the real legacy policy's Admins claims: the `$admins` role or the user `admin`. */
export const isAdmin = (p: Principal | undefined): boolean => p !== undefined && (p.name === 'admin' || p.groups.includes(ADMINS));

/** As its OperationsOrAdmins claims: also the `$ops` role or the user `ops`. */
export const isOpsOrAdmin = (p: Principal | undefined): boolean =>
  p !== undefined && (isAdmin(p) || p.name === 'ops' || p.groups.includes(OPS));
