import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AccountCommands } from '../../src/grpc/gen/ledger/v1/account_commands_pb.js';
import { AccountQueries } from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { Health } from '../../src/grpc/gen/grpc/health/v1/health_pb.js';
import { startEsdbServer } from '../../src/esdb-server/index.js';
import { startTestBackends, type TestBackends } from '../support/backends.js';
import { ledgerProcess, type LedgerProcess } from '../reliability/ledger-process.js';
import { Admin } from '../../src/grpc/gen/ledger/v1/admin_pb.js';
import type { AdminBackend } from '../../src/grpc/admin-service.js';
import { startAdminServer, type AdminServer } from '../../src/grpc/admin-service-server.js';

/**
 * Issue 12: a reflection client in another language (grpcurl, Go) lists,
 * describes and calls every RPC of the running API with no proto files:
 * only what server reflection serves. The API and the projector run as
 * processes (`workers/api.ts`, `workers/projector.ts`) against the embedded
 * event store and a Mongo-wire server, so the read-model queries answer too.
 * grpcurl comes from deploy/dev/setup.sh (`go install`); without it the test
 * fails, it does not skip.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** grpcurl on PATH, else where `go install` put it ($(go env GOBIN), else $(go env GOPATH)/bin). */
function grpcurlPath(): string {
  const dirs = (process.env.PATH ?? '').split(':').filter((d) => d !== '');
  try {
    const [gobin = '', gopath = ''] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8' }).split('\n');
    dirs.push(...[gobin, ...gopath.split(':').map((p) => (p === '' ? '' : join(p, 'bin')))].filter((d) => d !== ''));
  } catch {
    // no Go: only PATH is searched
  }
  const found = dirs.map((d) => join(d, 'grpcurl')).find((p) => existsSync(p));
  if (found !== undefined) return found;
  throw new Error('grpcurl is not installed: run deploy/dev/setup.sh (go install github.com/fullstorydev/grpcurl/cmd/grpcurl)');
}

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

const run = (file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> =>
  new Promise((resolve) =>
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    }),
  );

describe('the running API through grpcurl and server reflection only', () => {
  let grpcurl: string;
  let backends: TestBackends;
  let esdb: Awaited<ReturnType<typeof startEsdbServer>>;
  let api: LedgerProcess;
  let projector: LedgerProcess;
  /** grpcurl with no proto files: `flags`, the API's address, then `verb` (list, describe, or a method to call). */
  const call = (verb: readonly string[], flags: readonly string[] = []): Promise<Run> =>
    run(grpcurl, ['-plaintext', '-max-time', '20', ...flags, api.address, ...verb]);
  const ok = async (verb: readonly string[], flags: readonly string[] = []): Promise<string> => {
    const r = await call(verb, flags);
    expect(r.stderr, `grpcurl ${[...flags, ...verb].join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const json = async (method: string, body: object): Promise<Record<string, unknown>> =>
    JSON.parse(await ok([method], ['-d', JSON.stringify(body)])) as Record<string, unknown>;

  beforeAll(async () => {
    grpcurl = grpcurlPath();
    esdb = await startEsdbServer({ port: 0, memory: true });
    backends = await startTestBackends(['mongo']);
    const env = { ESDB_URL: esdb.connectionString, MONGO_URL: backends.urls.mongo ?? '', MONGO_DB: `grpcurl_${Date.now()}` };
    api = await ledgerProcess('api', env);
    projector = await ledgerProcess('projector', env);
    await Promise.all([api.start(), projector.start()]);
  });
  afterAll(async () => {
    await Promise.allSettled([api?.stop(), projector?.stop()]);
    await backends?.stop();
    await esdb?.stop();
  });

  test('list names every public service and each one\'s methods', async () => {
    const services = (await ok(['list'])).trim().split('\n').sort();
    expect(services).toEqual(['grpc.health.v1.Health', 'ledger.v1.AccountCommands', 'ledger.v1.AccountQueries']);
    for (const service of [AccountCommands, AccountQueries, Health]) {
      const methods = (await ok(['list', service.typeName])).trim().split('\n').sort();
      expect(methods).toEqual(service.methods.map((m) => `${service.typeName}.${m.name}`).sort());
    }
  });

  test('describe resolves every method and message, imports (google.protobuf.Timestamp, map entries) included', async () => {
    for (const service of [AccountCommands, AccountQueries, Health]) {
      expect(await ok(['describe', service.typeName])).toContain(`service ${service.name} {`);
      for (const m of service.methods) {
        expect(await ok(['describe', `${service.typeName}.${m.name}`])).toContain(`rpc ${m.name} (`);
        expect(await ok(['describe', m.input.typeName])).toContain(`message ${m.input.name} {`);
        expect(await ok(['describe', m.output.typeName])).toContain(`message ${m.output.name} {`);
      }
    }
    expect(await ok(['describe', 'ledger.v1.Account'])).toContain('.google.protobuf.Timestamp opened_at = 7;');
    expect(await ok(['describe', 'google.rpc.ErrorInfo'])).toContain('map<string, string> metadata = 3;');
    expect(await ok(['describe', 'grpc.health.v1.HealthListResponse'])).toContain('map<string, .grpc.health.v1.HealthCheckResponse> statuses = 1;');
  });

  test('every RPC is invoked by name, its request built and its answer decoded from reflection alone', async () => {
    const accountId = randomUUID();
    const ownerId = `owner-${accountId}`;
    const commands = 'ledger.v1.AccountCommands';
    const opened = await json(`${commands}/OpenAccount`, { command_id: randomUUID(), account_id: accountId, owner_id: ownerId, currency: 'EUR' });
    expect(opened).toMatchObject({ result: { commitPosition: expect.any(String) } });
    expect(await json(`${commands}/Deposit`, { command_id: randomUUID(), account_id: accountId, amount: '1500', currency: 'EUR' }))
      .toMatchObject({ result: { revision: '1', balance: '1500' } });
    expect(await json(`${commands}/Withdraw`, { command_id: randomUUID(), account_id: accountId, amount: '1500', currency: 'EUR' }))
      .toMatchObject({ result: { revision: '2' } });

    // A refusal: grpcurl decodes the google.rpc.ErrorInfo detail through reflection.
    const overdraft = await call([`${commands}/Withdraw`], ['-d', JSON.stringify({ command_id: randomUUID(), account_id: accountId, amount: '1', currency: 'EUR' })]);
    expect(overdraft.code).not.toBe(0);
    expect(overdraft.stderr).toContain('Code: FailedPrecondition');
    expect(overdraft.stderr).toContain('"@type": "type.googleapis.com/google.rpc.ErrorInfo"');
    expect(overdraft.stderr).toContain('"reason": "INSUFFICIENT_FUNDS"');

    // Invalid input: the google.rpc.BadRequest detail names the field.
    const invalid = await call([`${commands}/Deposit`], ['-d', JSON.stringify({ command_id: randomUUID(), account_id: accountId, amount: '0', currency: 'XYZ' })]);
    expect(invalid.stderr).toContain('Code: InvalidArgument');
    expect(invalid.stderr).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(invalid.stderr).toContain('"field": "currency"');

    expect(await json(`${commands}/CloseAccount`, { command_id: randomUUID(), account_id: accountId, reason: 'done' }))
      .toMatchObject({ result: { revision: '3' } });

    const queries = 'ledger.v1.AccountQueries';
    expect(await json(`${queries}/GetAccountAsOf`, { account_id: accountId, revision: '1' }))
      .toMatchObject({ account: { accountId, ownerId, balance: '1500', currency: 'EUR', status: 'ACCOUNT_STATUS_OPEN' } });
    expect(await json(`${queries}/GetAccountAsOf`, { account_id: accountId, timestamp: new Date(Date.now() + 60_000).toISOString() }))
      .toMatchObject({ account: { status: 'ACCOUNT_STATUS_CLOSED' } });

    // The read model: the projector catches up with the four events.
    let account: Record<string, unknown> = {};
    for (let i = 0; i < 100 && (account.account as { revision?: string } | undefined)?.revision !== '3'; i++) {
      const r = await call([`${queries}/GetAccount`], ['-d', JSON.stringify({ account_id: accountId })]);
      if (r.code === 0) account = JSON.parse(r.stdout) as Record<string, unknown>;
      else await sleep(200);
    }
    expect(account).toMatchObject({ account: { accountId, status: 'ACCOUNT_STATUS_CLOSED', revision: '3', openedAt: expect.any(String) } });
    expect(await json(`${queries}/ListAccountsByOwner`, { owner_id: ownerId, page_size: 10 }))
      .toMatchObject({ accounts: [{ accountId }] });
    const transactions = await json(`${queries}/ListTransactions`, { account_id: accountId, page_size: 10 });
    expect((transactions.transactions as { type: string }[]).map((t) => t.type)).toEqual(['TRANSACTION_TYPE_DEPOSIT', 'TRANSACTION_TYPE_WITHDRAWAL']);

    const health = 'grpc.health.v1.Health';
    expect(await json(`${health}/Check`, { service: '' })).toEqual({ status: 'SERVING' });
    expect(await json(`${health}/Check`, { service: commands })).toEqual({ status: 'SERVING' });
    expect(await json(`${health}/List`, {})).toMatchObject({ statuses: { [queries]: { status: 'SERVING' } } });
    // Watch streams until cancelled: the first status arrives, then grpcurl's time limit ends the call.
    const watch = await run(grpcurl, ['-plaintext', '-max-time', '2', '-d', '{"service":""}', api.address, `${health}/Watch`]);
    expect(JSON.parse(watch.stdout)).toEqual({ status: 'SERVING' });
    expect(watch.stderr).toContain('DeadlineExceeded');
  });

  test('the grpcurl examples of docs/api.md, then of docs/read-model.md, run as printed', async () => {
    const blocksOf = (file: string, heading: string): string[] => {
      const text = readFileSync(join(ROOT, 'docs', file), 'utf8');
      const start = text.indexOf(heading);
      const end = text.indexOf('\n## ', start + heading.length);
      const section = text.slice(start, end === -1 ? undefined : end);
      return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    };
    const commandsOf = (blocks: string[]): string[] =>
      blocks.flatMap((b) => b.replace(/\\\n\s*/g, '').split('\n').filter((l) => l.startsWith('grpcurl ')));
    const apiDoc = commandsOf(blocksOf('api.md', '## grpcurl'));
    const readModel = commandsOf(blocksOf('read-model.md', '## Command → document → query'));
    expect(apiDoc.length).toBeGreaterThanOrEqual(5);
    expect(readModel.length).toBeGreaterThanOrEqual(3);
    const env = { ...process.env, PATH: `${join(grpcurl, '..')}:${process.env.PATH ?? ''}` };
    for (const command of [...apiDoc, ...readModel]) {
      const r = await run('bash', ['-c', command.replaceAll('localhost:50051', api.address)], env);
      expect({ command, code: r.code, stderr: r.stderr }).toEqual({ command, code: 0, stderr: '' });
    }
  });
});

describe('the Admin port through grpcurl and its own reflection', () => {
  const TOKEN = 'grpcurl-admin-token-0123';
  const backend: AdminBackend = {
    token: TOKEN,
    rebuildable: ['account_summaries'],
    defaultGroup: 'projector',
    rebuilds: { start: async () => { throw new Error('not in this test'); }, get: async () => undefined, cancel: async () => undefined, running: async () => new Map() },
    listProjections: async () => [{ name: 'account_summaries', activeCollection: 'account_summaries_v1', status: 'running', lag: null, updatedAt: new Date() }],
    replayParked: async () => 3n,
  };
  let admin: AdminServer;
  let grpcurl: string;
  beforeAll(async () => {
    grpcurl = grpcurlPath();
    admin = await startAdminServer(backend, '127.0.0.1', 0);
  });
  afterAll(async () => admin?.close());
  const at = () => `127.0.0.1:${admin.port}`;

  test('lists and describes ledger.v1.Admin with no proto files, and calls it with the token', async () => {
    expect(await run(grpcurl, ['-plaintext', at(), 'list'])).toMatchObject({ code: 0, stdout: 'ledger.v1.Admin\n' });
    const described = await run(grpcurl, ['-plaintext', at(), 'describe', 'ledger.v1.Admin']);
    for (const m of Admin.methods) expect(described.stdout).toContain(`rpc ${m.name} (`);
    const listed = await run(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${TOKEN}`, '-d', '{}', at(), 'ledger.v1.Admin/ListProjections']);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toMatchObject({ projections: [{ name: 'account_summaries', activeCollection: 'account_summaries_v1' }] });
    const replayed = await run(grpcurl, ['-plaintext', '-H', `authorization: Bearer ${TOKEN}`, '-d', '{"group":"projector"}', at(), 'ledger.v1.Admin/ReplayParked']);
    expect(JSON.parse(replayed.stdout)).toEqual({ replayed: '3' });
    const refused = await run(grpcurl, ['-plaintext', '-d', '{}', at(), 'ledger.v1.Admin/ListProjections']);
    expect(refused.stderr).toContain('Code: Unauthenticated');
    expect(refused.stderr).toContain('no token sent');
  });
});

