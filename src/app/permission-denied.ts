import { LedgerError } from '../domain/index.js';

/**
 * An authenticated caller asked to act on, or read, an account or owner that
 * is not its own and it does not hold the operator role (issue 13). Nothing
 * is appended and nothing is read.
 */
export class PermissionDenied extends LedgerError {
  override readonly name = 'PermissionDenied';
  readonly kind = 'permission_denied';
  readonly reason = 'PERMISSION_DENIED';
  override readonly details: Record<string, string>;
  constructor(readonly principal: string, what: string) {
    super(`${principal} may not ${what}: it is not the owner and has no operator role`);
    this.details = { principal };
  }
}
