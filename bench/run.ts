/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts with its arguments;
 * with no name, lists the benchmarks. Figures go to bench/RESULTS.md by hand,
 * dated, as each bench prints them.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const helpers = new Set(['run', 'esdb-child', 'null-esdb-server', 'projector-sources', 'read-side-load', 'commands-cpu', 'commands-load', 'commands-processes', 'commands-in-process', 'cpu-profiler', 'cpu-profile-summary', 'api-profiling', 'null-api-server']);
const benches = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).filter((n) => !helpers.has(n)).sort();
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !benches.includes(name)) {
  console.log(`usage: npm run bench -- <name> [args]\nbenchmarks: ${benches.join(', ')}`);
  process.exit(name === undefined ? 0 : 2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
