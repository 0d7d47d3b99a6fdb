import { loadConfig } from '../config.js';
import { AdminClient } from './admin-service-client.js';
import { RebuildState, type Rebuild } from './gen/ledger/v1/admin_pb.js';

const USAGE = `ledger-admin: operate Ledger's read models through the Admin API

  ledger-admin list                        projections: active collection, status, lag, running rebuild
  ledger-admin start <projection> [--watch] start a rebuild (account_summaries | account_transactions)
  ledger-admin watch <rebuild-id>          live progress until the rebuild ends
  ledger-admin status <rebuild-id>         progress once
  ledger-admin cancel <rebuild-id>         stop a rebuild before it switches readers
  ledger-admin replay-parked [group]       replay the projector's parked events

Connects to ADMIN_HOST:ADMIN_PORT (default 127.0.0.1:50052) with ADMIN_TOKEN.`;

const stateName = (s: RebuildState): string => RebuildState[s]?.toLowerCase() ?? String(s);
const finished = (s: RebuildState) => s === RebuildState.COMPLETED || s === RebuildState.CANCELLED || s === RebuildState.FAILED;

/** One line: bar by share of the log read, events, rate, time left, state. */
export function progressLine(r: Rebuild, width = 30): string {
  const share = r.headPosition > 0n ? Math.min(1, Number(r.position) / Number(r.headPosition)) : 0;
  const filled = Math.round(share * width);
  const eta = r.estimatedTimeLeft ? `${Number(r.estimatedTimeLeft.seconds)}s` : '-';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(1).padStart(5)}%  ` +
    `${r.eventsDone.toLocaleString('en')} events  ${Math.round(r.eventsPerSecond).toLocaleString('en')} ev/s  ` +
    `ETA ${eta}  ${stateName(r.state)}${r.error ? `: ${r.error}` : ''}`;
}

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
      return r;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, arg, flag] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig(process.env);
  const admin = new AdminClient(`${config.ADMIN_HOST}:${config.ADMIN_PORT}`, config.ADMIN_TOKEN);
  try {
    switch (command) {
      case 'list': {
        for (const p of (await admin.listProjections()).projections) {
          console.log(`${p.name}\t${p.activeCollection}\t${p.status}\tbehind=${p.eventsBehind}\tparked=${p.parkedCount}${p.rebuildId ? `\trebuild=${p.rebuildId}` : ''}`);
        }
        return 0;
      }
      case 'start': {
        if (!arg) throw new Error('start needs a projection name');
        const r = (await admin.startRebuild(arg)).rebuild;
        if (!r) throw new Error('no rebuild in the answer');
        console.log(r.id);
        if (flag === '--watch') return (await watch(admin, r.id)).state === RebuildState.COMPLETED ? 0 : 1;
        return 0;
      }
      case 'watch':
        if (!arg) throw new Error('watch needs a rebuild id');
        return (await watch(admin, arg)).state === RebuildState.COMPLETED ? 0 : 1;
      case 'status': {
        if (!arg) throw new Error('status needs a rebuild id');
        const r = (await admin.getRebuild(arg)).rebuild;
        if (r) console.log(progressLine(r));
        return 0;
      }
      case 'cancel': {
        if (!arg) throw new Error('cancel needs a rebuild id');
        const r = (await admin.cancelRebuild(arg)).rebuild;
        console.log(`cancel requested: ${r ? stateName(r.state) : 'unknown'}`);
        return 0;
      }
      case 'replay-parked':
        console.log(`replayed ${(await admin.replayParked(arg ?? '')).replayed}`);
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
  } catch (err) {
    const e = err as { details?: string; message?: string };
    console.error(`ledger-admin ${command}: ${e.details ?? e.message ?? String(err)}`);
    return 1;
  } finally {
    admin.close();
  }
}
