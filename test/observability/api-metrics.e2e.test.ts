import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { apiProcessForThisFile } from './api-process.js';

// The api process as deployed (workers/api.ts): commands over gRPC, then
// what a Prometheus scrape of its METRICS_PORT shows.
const under = apiProcessForThisFile();

const scrape = async (): Promise<string> => {
  const res = await fetch(`http://127.0.0.1:${under().api.metricsPort}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};
const sample = (body: string, series: string): number | undefined => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('the api process exports its command metrics on METRICS_PORT', () => {
  test('given an opened account, deposits, a retry, an overdraft, a reused key and queries, then the counters and latency show each outcome in its series', async () => {
    const accountId = randomUUID();
    const opened = await under().client.call(AccountCommands.method.openAccount, {
      commandId: randomUUID(), accountId, ownerId: 'owner-1', currency: 'EUR',
    });
    expect(opened.ok).toBe(true);
    for (const amount of [100n, 50n]) {
      const deposit = await under().client.call(AccountCommands.method.deposit, { commandId: randomUUID(), accountId, amount, currency: 'EUR' });
      expect(deposit.ok).toBe(true);
    }
    const overdraft = await under().client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 1_000n, currency: 'EUR' });
    expect(overdraft.ok).toBe(false);
    const invalid = await under().client.call(AccountCommands.method.deposit, { commandId: 'not-a-uuid', accountId, amount: 0n, currency: 'EUR' });
    expect(invalid.ok).toBe(false);

    // Issue 12: a retry is a duplicate, not ok; a reused key and a query have their own labels and series.
    const commandId = randomUUID();
    for (let i = 0; i < 2; i++) expect((await under().client.call(AccountCommands.method.deposit, { commandId, accountId, amount: 5n, currency: 'EUR' })).ok).toBe(true);
    expect((await under().client.call(AccountCommands.method.withdraw, { commandId, accountId, amount: 5n, currency: 'EUR' })).ok).toBe(false);
    expect((await under().client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } })).ok).toBe(true);
    expect((await under().client.call(AccountQueries.method.getAccountAsOf, { accountId: randomUUID(), asOf: { case: 'revision', value: 0n } })).ok).toBe(false);

    const body = await scrape();
    expect(sample(body, 'ledger_commands_total{type="OpenAccount",outcome="ok"}')).toBe(1);
    expect(sample(body, 'ledger_commands_total{type="Deposit",outcome="ok"}')).toBe(3);
    expect(sample(body, 'ledger_commands_total{type="Deposit",outcome="duplicate"}')).toBe(1);
    expect(sample(body, 'ledger_commands_total{type="Withdraw",outcome="insufficient_funds"}')).toBe(1);
    expect(sample(body, 'ledger_commands_total{type="Withdraw",outcome="idempotency_key_reused"}')).toBe(1);
    expect(sample(body, 'ledger_commands_total{type="Deposit",outcome="invalid"}')).toBe(1);
    expect(body).not.toMatch(/^ledger_commands_total\{type="GetAccountAsOf"/m);
    expect(sample(body, 'ledger_queries_total{type="GetAccountAsOf",outcome="ok"}')).toBe(1);
    expect(sample(body, 'ledger_queries_total{type="GetAccountAsOf",outcome="account_not_found"}')).toBe(1);
    expect(sample(body, 'ledger_query_duration_seconds_count{type="GetAccountAsOf",outcome="ok"}')).toBe(1);
    expect(sample(body, 'ledger_command_duration_seconds_count{type="Deposit",outcome="ok"}')).toBe(3);
    expect(body).toMatch(/^ledger_process_resident_memory_bytes \d+/m);
  });

  test('/healthz answers ready', async () => {
    expect((await fetch(`http://127.0.0.1:${under().api.metricsPort}/healthz`)).status).toBe(200);
  });
});
