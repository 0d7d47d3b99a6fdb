import { parseArgs } from 'node:util';
import { status } from '@grpc/grpc-js';
import { loadConfig, type Config } from '../config.js';
import { AdminClient } from './admin-service-client.js';
import { RebuildState, type Rebuild } from './gen/ledger/v1/admin_pb.js';

const USAGE = `ledger-admin: operate Ledger's read models through the Admin API

  ledger-admin list                        projections: active collection, status, lag, running rebuild;
                                           held accounts, parked events of every group (attempts), repairs
  ledger-admin start <projection> [--watch] start a rebuild (account_summaries | account_transactions | transfers)
  ledger-admin watch <rebuild-id>          live progress until the rebuild ends
  ledger-admin status <rebuild-id>         progress once, and the accounts it held at damaged events
  ledger-admin cancel <rebuild-id>         stop a rebuild before it switches readers
  ledger-admin replay-parked [group]       replay a group's parked events (default: the projector's)
  ledger-admin audit                       check that money is conserved over the whole event store
                                           (exit 0 conserved, 1 violations found)

Connects to ADMIN_HOST:ADMIN_PORT (default 127.0.0.1:50052) with ADMIN_TOKEN.`;

const stateName = (s: RebuildState): string => RebuildState[s]?.toLowerCase() ?? String(s);
const finished = (s: RebuildState) => s === RebuildState.COMPLETED || s === RebuildState.CANCELLED || s === RebuildState.FAILED;

/**
 * One line: bar by share of the log read, events, rate, time left, state.
 * A completed rebuild is 100%: the head it measured is the log's last
 * position, which may be a non-account event (a snapshot, a system event)
 * the filtered read never reaches (issue 14: it ended at 77% or 94%).
 */
export function progressLine(r: Rebuild, width = 30): string {
  const share = r.state === RebuildState.COMPLETED ? 1
    : r.headPosition > 0n ? Math.min(1, Number(r.position) / Number(r.headPosition)) : 0;
  const filled = Math.round(share * width);
  const eta = r.estimatedTimeLeft ? `${Number(r.estimatedTimeLeft.seconds)}s` : '-';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}%  ` +
    `${r.eventsDone.toLocaleString('en')} events  ${Math.round(r.eventsPerSecond).toLocaleString('en')} ev/s  ` +
    `ETA ${eta}  ${stateName(r.state)}${r.error ? `: ${r.error}` : ''}`;
}

/** One line per account the rebuild held at an event it could not read (issue 14), as `list` shows the projector's. */
export const heldLines = (r: Rebuild): string[] =>
  r.heldAccounts.map((h) => `held\taccount=${h.accountId}\trevision=${h.revision}\tevent=${h.eventId}\t${h.reason}`);

async function watch(admin: AdminClient, id: string): Promise<Rebuild> {
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  for (;;) {
    const r = (await admin.getRebuild(id)).rebuild;
    if (!r) throw new Error(`no rebuild ${id}`);
    if (tty) process.stderr.write(`\r\x1b[2K${progressLine(r)}`);
    else if (Date.now() - lastPrinted > 2000 || finished(r.state)) {
      process.stderr.write(`${progressLine(r)}\n`);
      lastPrinted = Date.now();
    }
    if (finished(r.state)) {
      if (tty) process.stderr.write('\n');
      for (const line of heldLines(r)) console.log(line);
      return r;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** A command line the CLI cannot run: printed with the usage, exit 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Invocation = { readonly command: string; readonly arg: string | undefined; readonly watch: boolean };

/** How many arguments each command takes: [least, most]. */
const ARITY: Record<string, readonly [number, number]> = {
  list: [0, 0], start: [1, 1], watch: [1, 1], status: [1, 1], cancel: [1, 1], 'replay-parked': [0, 1], audit: [0, 0],
};
const NEEDS: Record<string, string> = { start: 'a projection name', watch: 'a rebuild id', status: 'a rebuild id', cancel: 'a rebuild id' };

/** argv → a command; undefined asks for the usage (help). Unknown flags and wrong arity are UsageErrors. */
function parse(argv: readonly string[]): Invocation | undefined {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help === true || command === 'help') return undefined;
  if (command === undefined) throw new UsageError('a command is required');
  const arity = ARITY[command];
  if (arity === undefined) throw new UsageError(`unknown command "${command}"`);
  if (args.length < arity[0]) throw new UsageError(`${command} needs ${NEEDS[command] ?? 'an argument'}`);
  if (args.length > arity[1]) throw new UsageError(`${command} takes ${arity[1] === 0 ? 'no arguments' : `one argument`}, got "${args.join(' ')}"`);
  if (parsed.values.watch === true && command !== 'start') throw new UsageError('--watch goes with start only');
  return { command, arg: args[0], watch: parsed.values.watch === true };
}
const OPTIONS = { watch: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

/**
 * Runs one CLI command; returns the exit code: 0 done, 1 the call failed
 * (one line naming why), 2 the command line or the configuration is wrong
 * (usage printed). Never lets an exception out as a stack trace (issue 12).
 */
export async function main(argv: readonly string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let invocation: Invocation | undefined;
  try {
    invocation = parse(argv);
  } catch (e) {
    console.error(`ledger-admin: ${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
    return 2;
  }
  if (invocation === undefined) {
    console.log(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/:?\n\s*/g, (m) => (m.startsWith(':') ? ': ' : '; ')) : String(e);
    console.error(`ledger-admin: ${message}`);
    return 2;
  }
  if (config.ADMIN_TOKEN === undefined) {
    console.error('ledger-admin: ADMIN_TOKEN is not set: set it to the ADMIN_TOKEN the jobs process was started with');
    return 2;
  }
  const admin = new AdminClient(`${config.ADMIN_HOST}:${config.ADMIN_PORT}`, config.ADMIN_TOKEN);
  try {
    return await run(admin, invocation);
  } catch (err) {
    console.error(`ledger-admin ${invocation.command}: ${failureLine(err)}`);
    return 1;
  } finally {
    admin.close();
  }
}

async function run(admin: AdminClient, { command, arg, watch: follow }: Invocation): Promise<number> {
  switch (command) {
    case 'list': {
      const listed = await admin.listProjections();
      for (const p of listed.projections) {
        console.log(`${p.name}\t${p.activeCollection}\t${p.status}\tbehind=${p.eventsBehind}\tparked=${p.parkedCount}${p.rebuildId ? `\trebuild=${p.rebuildId}` : ''}`);
      }
      // Which event each held account waits behind (issue 14), and what repairs are deployed.
      for (const h of listed.heldAccounts) console.log(`held\taccount=${h.accountId}\trevision=${h.revision}\tevent=${h.eventId}\t${h.reason}`);
      // Every group's parked messages, each naming its group (replay-parked takes it), with how often each was delivered before it was parked.
      for (const p of listed.parkedEvents) {
        console.log(`parked\tgroup=${p.group || '-'}\tevent=${p.eventId}\taccount=${p.accountId || '-'}\trevision=${p.revision}\tattempts=${p.attempts || '?'}\t${p.reason.replace(/\s*\n\s*/g, ' ')}`);
      }
      console.log(`repairs\t${listed.eventRepairs.join(',') || '-'}\tupcasters\t${listed.eventUpcasters.join(',') || '-'}`);
      return 0;
    }
    case 'start': {
      const r = (await admin.startRebuild(arg ?? '')).rebuild;
      if (!r) throw new Error('no rebuild in the answer');
      console.log(r.id);
      if (follow) return (await watch(admin, r.id)).state === RebuildState.COMPLETED ? 0 : 1;
      return 0;
    }
    case 'watch':
      return (await watch(admin, arg ?? '')).state === RebuildState.COMPLETED ? 0 : 1;
    case 'status': {
      const r = (await admin.getRebuild(arg ?? '')).rebuild;
      if (r) for (const line of [progressLine(r), ...heldLines(r)]) console.log(line);
      return 0;
    }
    case 'cancel': {
      const r = (await admin.cancelRebuild(arg ?? '')).rebuild;
      console.log(`cancel requested: ${r ? stateName(r.state) : 'unknown'}`);
      return 0;
    }
    case 'replay-parked':
      console.log(`replayed ${(await admin.replayParked(arg ?? '')).replayed}`);
      return 0;
    case 'audit': {
      const a = await admin.auditMoney();
      console.log(`balances ${a.balances} + in flight ${a.inFlight} (${a.transfersInFlight} transfers) ${a.conserved ? '=' : 'vs'} deposits - withdrawals ${a.netDeposits}; ${a.events} events`);
      for (const c of a.byCurrency) console.log(`${c.currency}\tbalances ${c.balances}\tin flight ${c.inFlight}\tdeposits - withdrawals ${c.netDeposits}`);
      for (const v of a.violations) console.log(`violation\t${v}`);
      console.log(a.conserved ? 'conserved' : `NOT conserved: ${a.violations.length} violations`);
      return a.conserved ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** A failed call as one line: the server's own words (each refusal says what to do), or why it could not be reached. */
function failureLine(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && 'details' in err && typeof err.details === 'string') {
    if (err.code === status.UNAVAILABLE) return `cannot reach the Admin API (${err.details})`;
    return err.details;
  }
  return err instanceof Error ? err.message : String(err);
}
