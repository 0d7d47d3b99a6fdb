import { randomUUID } from 'node:crypto';
import { CommandHandler, type CommandEnvelope } from '../src/app/index.js';
import { EsdbAccountEventStore } from '../src/eventstore/account-event-store.js';
import { connectEventStore } from '../src/eventstore/connection.js';
import { runLoad, type LoadResult } from './commands-load.js';

/**
 * Ledger's CommandHandler in the load generator's process, on its own
 * client connection to the same event store: the command path without the
 * gRPC API in front. Accounts are its own (opened untimed), so its cache
 * and the API's never overlap.
 */
export class InProcessCommands {
  private readonly connection;
  private readonly handler;
  private accounts: string[] = [];

  constructor(esdbUrl: string) {
    this.connection = connectEventStore(esdbUrl);
    // As workers/api.ts builds it (COMMAND_MAX_RETRIES default 10).
    this.handler = new CommandHandler({ store: new EsdbAccountEventStore(this.connection.client), maxRetries: 10 });
  }

  async open(count: number, concurrency: number): Promise<void> {
    this.accounts = Array.from({ length: count }, () => randomUUID());
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < this.accounts.length) {
          const accountId = this.accounts[next++] ?? '';
          await this.handler.handle(envelope({ type: 'OpenAccount', data: { accountId, ownerId: 'bench', currency: 'EUR' } }));
          await this.handler.handle(envelope({ type: 'Deposit', data: { accountId, amount: 1_000_000_000n, currency: 'EUR' } }));
        }
      }),
    );
  }

  /** Deposit/Withdraw at random over the opened accounts, as the gRPC scenario sends them. */
  run(label: string, concurrency: number, seconds: number): Promise<LoadResult> {
    return runLoad(label, concurrency, seconds, async () => {
      const accountId = this.accounts[Math.floor(Math.random() * this.accounts.length)] ?? '';
      const data = { accountId, amount: BigInt(1 + Math.floor(Math.random() * 100)), currency: 'EUR' };
      try {
        const handled = await this.handler.handle(envelope(Math.random() < 0.5 ? { type: 'Deposit', data } : { type: 'Withdraw', data }));
        return handled.retries;
      } catch {
        return 'failed';
      }
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

const envelope = (command: CommandEnvelope['command']): CommandEnvelope => ({ command, commandId: randomUUID() });
