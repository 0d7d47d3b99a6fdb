import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { apiProcessForThisFile } from '../observability/api-process.js';

// docs/api.md's TypeScript client, run as printed (issue 12: every example
// is executed by a test): saved at the repository root, where its imports
// point, with only the address changed to the api process under test.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const under = apiProcessForThisFile();

test('the TypeScript client of docs/api.md deposits and prints what its comment says', async () => {
  const doc = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## TypeScript client'));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(snippet).toBeDefined();
  const accountId = '0b9c2f4e-6a1d-4e8b-8c3f-5d7e9a1b2c3d';
  const opened = await under().client.call(AccountCommands.method.openAccount, { commandId: randomUUID(), accountId, ownerId: 'ann', currency: 'EUR' });
  expect(opened.ok).toBe(true);
  const file = join(ROOT, `.docs-snippet-${process.pid}.ts`);
  writeFileSync(file, (snippet ?? '').replace("'localhost:50051'", `'${under().api.address}'`) + '\nclient.close();\n');
  try {
    // Asynchronously: the event store runs in this process and must keep answering.
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('1n 1500n');
  } finally {
    rmSync(file, { force: true });
  }
});
