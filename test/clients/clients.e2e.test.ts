import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { grpcServiceDefinition } from '../../src/grpc/service-definition.js';
import {
  AccountQueries,
  GetAccountAsOfRequestSchema,
  type GetAccountAsOfResponse,
} from '../../src/grpc/gen/ledger/v1/account_queries_pb.js';
import { AccountStatus } from '../../src/grpc/gen/ledger/v1/account_pb.js';
import { startLedger, type RunningLedger } from './ledger-under-test.js';
import { makeCertificates, makeTokenIssuer, type TokenIssuer } from '../security/throwaway-credentials.js';

// The Python and Go clients (test/clients/{python,go}), with stubs that buf
// generates here from proto/ledger/v1, run against the real API on the
// embedded event store. Nothing is skipped: without python3 and the pip
// requirements, or without Go and its protoc plugins, this file fails
// (deploy/dev/setup.sh installs them).
// Ledger runs authenticated (issue 13: AUTH_MODE=jwt,mtls over TLS): each
// client runs once with a bearer token in its metadata and once with a
// client certificate, and opens its account for the principal it is.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENTS = join(ROOT, 'test/clients');
const PYTHON = process.env.PYTHON ?? 'python3';
const GO_CLIENT = join(CLIENTS, 'go/bin/ledgerclient');

// What the clients do (kept equal to the constants in both clients).
const DEPOSIT = 10_000;
const WITHDRAWAL = 2_500;
const TRANSFER = 1_000;

interface Detail {
  type: string;
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  field_violations?: { field: string; description: string }[];
}
interface Step {
  ok: boolean;
  revision?: number;
  balance?: number;
  currency?: string;
  status?: string;
  code?: string;
  message?: string;
  details?: Detail[];
}
interface ClientReport {
  client: string;
  account_id: string;
  steps: Record<'open' | 'deposit' | 'withdraw' | 'withdraw_retry' | 'overdraft' | 'bad_request' | 'as_of' | 'reverse' | 'transfer', Step & { transfer_id?: string }>;
  mismatches: string[];
}

/** Runs a client; its JSON report is on stdout whether it passed (exit 0) or listed mismatches (exit 1). */
async function runClient(file: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ exitCode: number; report: ClientReport; stderr: string }> {
  let stdout: string;
  let stderr: string;
  let exitCode = 0;
  try {
    ({ stdout, stderr } = await run(file, args, { cwd, env: { ...process.env, ...env }, timeout: 90_000, maxBuffer: 1 << 20 }));
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err; // not started (ENOENT) or killed by the timeout
    exitCode = e.code;
    stdout = e.stdout ?? '';
    stderr = e.stderr ?? '';
    if (!stdout.trim().startsWith('{')) throw new Error(`${file} exited ${exitCode} without a report: ${stderr}`);
  }
  return { exitCode, report: JSON.parse(stdout) as ClientReport, stderr };
}

function detail(step: Step, type: string): Detail | undefined {
  return step.details?.find((d) => d.type === type);
}

/** The account as the service itself answers it, through the TypeScript stubs. */
async function accountAsOf(address: string, accountId: string, revision: bigint): Promise<GetAccountAsOfResponse> {
  const method = grpcServiceDefinition(AccountQueries)['getAccountAsOf'];
  if (method === undefined) throw new Error('AccountQueries has no GetAccountAsOf');
  // An operator reads any owner's account.
  const operator = await issuer().token('auditor', 'ledger:operator');
  const client = new grpc.Client(address, grpc.credentials.combineChannelCredentials(
    grpc.credentials.createSsl(readFileSync(join(pkiDir, 'ca.crt'))),
    grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${operator}`);
      callback(null, metadata);
    }),
  ));
  const request = create(GetAccountAsOfRequestSchema, { accountId, asOf: { case: 'revision', value: revision } });
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res as GetAccountAsOfResponse);
      },
    );
  });
}

// Clients run with the async execFile only: the event store lives in this
// process, and a synchronous spawn would stall it until the clients time out.
let ledger: RunningLedger | undefined;
let pkiDir: string;
let tokens: TokenIssuer | undefined;
const issuer = (): TokenIssuer => {
  if (tokens === undefined) throw new Error('no token issuer');
  return tokens;
};
// A failed set-up (no python3, no Go, no plugin, no service) fails every test
// below with its message; a throwing beforeAll would only mark them skipped.
let setupError: unknown;

function running(): RunningLedger {
  if (setupError !== undefined) throw setupError;
  if (ledger === undefined) throw new Error('the service did not start');
  return ledger;
}

beforeAll(async () => {
  try {
    // Generate the stubs (a second or two) so they cannot drift from proto/.
    const goBin = (await run('go', ['env', 'GOPATH'])).stdout.trim() + '/bin';
    await run(join(ROOT, 'node_modules/.bin/buf'), ['generate', '--template', 'test/clients/buf.gen.clients.yaml'], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${goBin}:${process.env.PATH ?? ''}` },
      timeout: 60_000,
    });
    await run('go', ['build', '-o', GO_CLIENT, './cmd/ledgerclient'], { cwd: join(CLIENTS, 'go'), timeout: 480_000 });
    pkiDir = mkdtempSync(join(tmpdir(), 'ledger-clients-'));
    makeCertificates(pkiDir, ['python-cert-user', 'go-cert-user']);
    tokens = await makeTokenIssuer(pkiDir);
    ledger = await startLedger(60_000, {
      AUTH_MODE: 'jwt,mtls',
      AUTH_JWKS_FILE: tokens.jwksFile,
      AUTH_JWT_ISSUER: tokens.issuer,
      AUTH_JWT_AUDIENCE: tokens.audience,
      GRPC_TLS_CERT_FILE: join(pkiDir, 'server.crt'),
      GRPC_TLS_KEY_FILE: join(pkiDir, 'server.key'),
      GRPC_TLS_CLIENT_CA_FILE: join(pkiDir, 'ca.crt'),
    });
  } catch (err) {
    setupError = err;
  }
}, 600_000);

afterAll(async () => {
  await ledger?.stop();
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

/** The client's environment for one way of authenticating (test/clients/python/ledger_client.py documents the variables). */
async function credentialsFor(language: string, how: 'token' | 'certificate'): Promise<Record<string, string>> {
  const ca = join(pkiDir, 'ca.crt');
  if (how === 'token') {
    const principal = `${language}-token-user`;
    return { LEDGER_TLS_CA: ca, LEDGER_TOKEN: await issuer().token(principal), LEDGER_OWNER_ID: principal };
  }
  const principal = `${language}-cert-user`;
  return { LEDGER_TLS_CA: ca, LEDGER_TLS_CERT: join(pkiDir, `${principal}.crt`), LEDGER_TLS_KEY: join(pkiDir, `${principal}.key`), LEDGER_OWNER_ID: principal };
}

describe.each([
  { language: 'python', how: 'token' as const, file: PYTHON, args: (addr: string) => [join(CLIENTS, 'python/ledger_client.py'), addr] },
  { language: 'python', how: 'certificate' as const, file: PYTHON, args: (addr: string) => [join(CLIENTS, 'python/ledger_client.py'), addr] },
  { language: 'go', how: 'token' as const, file: GO_CLIENT, args: (addr: string) => [addr] },
  { language: 'go', how: 'certificate' as const, file: GO_CLIENT, args: (addr: string) => [addr] },
])('the $language client authenticated by $how', ({ language, how, file, args }) => {
  let outcome: Promise<{ exitCode: number; report: ClientReport }>;
  let report: ClientReport;
  let exitCode: number;

  beforeAll(() => {
    outcome = Promise.resolve().then(async () => runClient(file, args(running().address), CLIENTS, await credentialsFor(language, how)));
    outcome.catch(() => {}); // reported by each test below
  });

  beforeEach(async () => {
    ({ report, exitCode } = await outcome);
  }, 120_000);

  it('finds no mismatch itself and exits 0', () => {
    expect(report.client).toBe(language);
    expect(report.mismatches).toEqual([]);
    expect(exitCode).toBe(0);
  });

  it('opens, deposits and withdraws, with the balances and revisions the service answers', () => {
    const { open, deposit, withdraw, withdraw_retry: retry } = report.steps;
    expect([open.ok, deposit.ok, withdraw.ok, retry.ok]).toEqual([true, true, true, true]);
    expect(open.balance ?? 0).toBe(0);
    expect(deposit.balance).toBe(DEPOSIT);
    expect(withdraw.balance).toBe(DEPOSIT - WITHDRAWAL);
    expect(deposit.revision ?? 0).toBeGreaterThan(open.revision ?? 0);
    expect(withdraw.revision ?? 0).toBeGreaterThan(deposit.revision ?? 0);
    // The same command_id again: no second withdrawal, the first answer.
    expect(retry.revision).toBe(withdraw.revision);
    expect(retry.balance).toBe(DEPOSIT - WITHDRAWAL);
  });

  it('reads an overdraft as FAILED_PRECONDITION with ErrorInfo INSUFFICIENT_FUNDS', () => {
    const overdraft = report.steps.overdraft;
    expect(overdraft.ok).toBe(false);
    expect(overdraft.code).toBe('FAILED_PRECONDITION');
    expect(detail(overdraft, 'ErrorInfo')).toMatchObject({ reason: 'INSUFFICIENT_FUNDS', domain: 'ledger.v1' });
  });

  it('reads a zero amount as INVALID_ARGUMENT with a BadRequest violation naming amount', () => {
    const bad = report.steps.bad_request;
    expect(bad.ok).toBe(false);
    expect(bad.code).toBe('INVALID_ARGUMENT');
    const fields = detail(bad, 'BadRequest')?.field_violations?.map((v) => v.field);
    expect(fields).toContain('amount');
  });

  it('reads the account back as of the withdrawal', () => {
    expect(report.steps.as_of).toMatchObject({
      ok: true,
      balance: DEPOSIT - WITHDRAWAL,
      currency: 'EUR',
      status: 'ACCOUNT_STATUS_OPEN',
      revision: report.steps.withdraw.revision,
    });
  });

  it('reverses the withdrawal and makes a transfer that completes (issue 15)', () => {
    expect(report.steps.reverse).toMatchObject({ ok: true, balance: DEPOSIT });
    expect(report.steps.transfer).toMatchObject({ ok: true, balance: DEPOSIT - TRANSFER, status: 'TRANSFER_STATUS_COMPLETED' });
    expect(report.steps.transfer.transfer_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('left the account in the store as it reported (checked through the TypeScript stubs)', async () => {
    const res = await accountAsOf(running().address, report.account_id, BigInt(report.steps.withdraw.revision ?? 0));
    expect(res.account?.accountId).toBe(report.account_id);
    expect(res.account?.balance).toBe(BigInt(DEPOSIT - WITHDRAWAL));
    expect(res.account?.status).toBe(AccountStatus.OPEN);
  });
});
