import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { apiProcessForThisFile } from './api-process.js';

// The README's metrics example, run as it is described (issue 12): its
// counter lines must be what a scrape of workers/api.ts shows. Bucket lines
// depend on timing and are not compared.
const under = apiProcessForThisFile();

test('the metrics example of docs/operations.md: its counter lines are what the api exports after the actions it describes', async () => {
  const readme = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('## Logs'));
  expect(section).toContain('After opening an account, five deposits, one retry of a deposit, one\noverdraft, one malformed deposit and one as-of query');
  const printed = (/```console\n([\s\S]*?)```/.exec(section)?.[1] ?? '')
    .split('\n')
    .filter((l) => l.startsWith('ledger_') && !l.includes('_bucket{'));
  expect(printed.length).toBeGreaterThanOrEqual(6);

  const accountId = randomUUID();
  expect((await under().client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' })).ok).toBe(true);
  const first = randomUUID();
  for (const commandId of [first, randomUUID(), randomUUID(), randomUUID(), randomUUID(), first]) {
    expect((await under().client.call(AccountCommands.method.deposit, { commandId, accountId, amount: 300n, currency: 'EUR' })).ok).toBe(true);
  }
  expect((await under().client.call(AccountCommands.method.withdraw, { commandId: randomUUID(), accountId, amount: 9999n, currency: 'EUR' })).ok).toBe(false);
  expect((await under().client.call(AccountCommands.method.deposit, { commandId: 'not-a-uuid', accountId, amount: 1n, currency: 'EUR' })).ok).toBe(false);
  expect((await under().client.call(AccountQueries.method.getAccountAsOf, { accountId, asOf: { case: 'revision', value: 1n } })).ok).toBe(true);

  const scraped = (await (await fetch(`http://127.0.0.1:${under().api.metricsPort}/metrics`)).text()).split('\n');
  for (const line of printed) expect(scraped).toContain(line);
});
