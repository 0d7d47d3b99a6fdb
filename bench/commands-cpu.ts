import { readFileSync } from 'node:fs';
import type { LoadResult } from './commands-load.js';

/** CPU time each process spent during a scenario: the machine is shared, so rates alone mislead. */
export type Measured = { readonly result: LoadResult; readonly cpuMs: { bench: number; api: number; esdb: number } };

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** user + system CPU milliseconds of a process so far (Linux /proc). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function withCpu(pids: { api: number | undefined; esdb: number | undefined }, run: () => Promise<LoadResult | undefined>): Promise<Measured> {
  const before = { bench: ownCpuMs(), api: processCpuMs(pids.api), esdb: processCpuMs(pids.esdb) };
  const result = await run();
  if (!result) throw new Error('a measured scenario gave no result');
  return {
    result,
    cpuMs: {
      bench: ownCpuMs() - before.bench,
      api: processCpuMs(pids.api) - before.api,
      esdb: processCpuMs(pids.esdb) - before.esdb,
    },
  };
}
