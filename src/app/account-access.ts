import { AccountNotFound, type AccountCommand } from '../domain/index.js';
import { PermissionDenied } from './permission-denied.js';
import type { Principal } from './principal.js';

/** An account's owner (immutable once opened), or undefined when the account does not exist. */
export type OwnerOf = (accountId: string) => Promise<string | undefined>;

/**
 * Per-owner authorization (issue 13): a principal acts on and reads only the
 * accounts whose owner_id is its id, unless it holds the operator role. Checked
 * before the command handler runs, so a refusal appends nothing and, for an
 * idempotent retry, does not leak the earlier answer either.
 */
export class AccountAccess {
  constructor(private readonly ownerOf: OwnerOf) {}

  /** Throws PermissionDenied (or AccountNotFound for a command on an account that does not exist). */
  async command(principal: Principal, command: AccountCommand): Promise<void> {
    if (principal.operator) return;
    const { accountId } = command.data;
    if (command.type === 'OpenAccount' && command.data.ownerId !== principal.id)
      throw new PermissionDenied(principal.id, `open an account for owner ${command.data.ownerId}`);
    const owner = await this.ownerOf(accountId);
    if (owner === undefined) {
      // Refused here rather than let through: the account could be opened by
      // its owner between this check and the append.
      if (command.type !== 'OpenAccount') throw new AccountNotFound(accountId);
      return;
    }
    if (owner !== principal.id) throw new PermissionDenied(principal.id, `${verb(command.type)} account ${accountId}`);
  }

  /** A query on one account; one that does not exist is left to the query to answer NOT_FOUND. */
  async read(principal: Principal, accountId: string): Promise<void> {
    if (principal.operator) return;
    const owner = await this.ownerOf(accountId);
    if (owner !== undefined && owner !== principal.id) throw new PermissionDenied(principal.id, `read account ${accountId}`);
  }

  /**
   * A query that reaches past the account to others (ListTransfers names
   * counterparties): the account must exist and be the principal's. A
   * missing one is AccountNotFound, so nobody lists what was sent to an id
   * no one owns; an operator may.
   */
  async readOwned(principal: Principal, accountId: string): Promise<void> {
    if (principal.operator) return;
    const owner = await this.ownerOf(accountId);
    if (owner === undefined) throw new AccountNotFound(accountId);
    if (owner !== principal.id) throw new PermissionDenied(principal.id, `read account ${accountId}`);
  }

  /** A query over an owner's accounts (ListAccountsByOwner). */
  owner(principal: Principal, ownerId: string): void {
    if (!principal.operator && ownerId !== principal.id) throw new PermissionDenied(principal.id, `list the accounts of owner ${ownerId}`);
  }
}

const verb = (type: AccountCommand['type']): string =>
  ({ OpenAccount: 'open', Deposit: 'deposit to', Withdraw: 'withdraw from', CloseAccount: 'close', ReverseTransaction: 'reverse a transaction of',
    TransferMoney: 'transfer from', CreditTransfer: 'credit a transfer to', RefundTransfer: 'refund a transfer to', SettleTransferDebit: 'settle a transfer of' })[type];
