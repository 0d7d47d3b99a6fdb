/**
 * Preloaded into the API process by `bench/commands.ts --profile`
 * (`node --import tsx --import ./bench/api-profiling.ts workers/api.ts`):
 * SIGUSR2 starts a CPU profile, the next SIGUSR2 writes it to
 * $LEDGER_BENCH_PROFILE_DIR/api-<pid>-<n>.cpuprofile and prints its path on stdout,
 * so the bench profiles the API during one scenario only.
 */
import { CpuProfiler } from './cpu-profiler.js';

const dir = process.env['LEDGER_BENCH_PROFILE_DIR'];
if (dir === undefined) throw new Error('bench/api-profiling.ts needs LEDGER_BENCH_PROFILE_DIR');
const profiler = new CpuProfiler(dir);
let running = false;
let written = 0;
process.on('SIGUSR2', () => {
  running = !running;
  if (running) void profiler.start();
  else void profiler.stop(`api-${process.pid}-${++written}`).then((file) => console.log(`cpu profile written: ${file}`));
});
