import { create, toBinary } from '@bufbuild/protobuf';
import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { setTimeout as sleep } from 'node:timers/promises';
import { DepositRequestSchema, OpenAccountRequestSchema } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';

/** Answers a retry cannot change: the command itself is wrong. */
const FINAL = new Set<number>([status.INVALID_ARGUMENT, status.NOT_FOUND, status.FAILED_PRECONDITION, status.ALREADY_EXISTS, status.OUT_OF_RANGE]);

export interface Deposit { readonly commandId: string; readonly accountId: string; readonly amount: bigint }

/** Tally of a load run: what was tried, acknowledged and refused. */
export interface LoadTally {
  attempts: number;
  readonly acknowledged: Set<string>;
  readonly refused: string[];
}

/**
 * A client that does what the API asks of clients: on any answer other than
 * a final refusal, send the same command (same command_id) again.
 */
export class RetryingCommands {
  private readonly grpc: Client;

  constructor(address: string, private readonly maxAttempts = 400) {
    // Reconnect quickly after a restart; grpc-js's default backoff grows to minutes.
    this.grpc = new Client(address, credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500,
    });
  }

  private call(method: string, bytes: Uint8Array): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      this.grpc.makeUnaryRequest(`/ledger.v1.AccountCommands/${method}`, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes),
        new Metadata(), { deadline: Date.now() + 3_000 }, (err: ServiceError | null) => resolve(err));
    });
  }

  async openAccount(commandId: string, accountId: string): Promise<void> {
    const bytes = toBinary(OpenAccountRequestSchema, create(OpenAccountRequestSchema, { commandId, accountId, ownerId: 'load-owner', currency: 'EUR' }));
    for (let attempt = 1; ; attempt++) {
      const err = await this.call('OpenAccount', bytes);
      if (err === null) return;
      if (FINAL.has(err.code) || attempt >= this.maxAttempts) throw new Error(`OpenAccount ${accountId}: ${status[err.code]} ${err.details}`);
      await sleep(50);
    }
  }

  /** Sends `deposits` from `clients` concurrent callers, each retried until acknowledged or refused. */
  async depositAll(deposits: readonly Deposit[], clients: number, tally: LoadTally): Promise<void> {
    let next = 0;
    const caller = async (): Promise<void> => {
      for (let d = deposits[next++]; d !== undefined; d = deposits[next++]) {
        const bytes = toBinary(DepositRequestSchema, create(DepositRequestSchema, { ...d, currency: 'EUR' }));
        for (let attempt = 1; ; attempt++) {
          tally.attempts += 1;
          const err = await this.call('Deposit', bytes);
          if (err === null) { tally.acknowledged.add(d.commandId); break; }
          if (FINAL.has(err.code) || attempt >= this.maxAttempts) { tally.refused.push(`${d.commandId}: ${status[err.code]} ${err.details}`); break; }
          await sleep(50);
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, caller));
  }

  close(): void {
    this.grpc.close();
  }
}
