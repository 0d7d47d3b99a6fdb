import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** The parts of a V8 .cpuprofile (Chrome DevTools protocol Profiler.Profile) read here. */
export type CpuProfile = {
  readonly nodes: readonly { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
};

type Share = { readonly name: string; readonly ms: number; readonly percent: number };
export type ProfileSummary = { readonly busyMs: number; readonly packages: Share[]; readonly functions: Share[] };

/**
 * Where a function's code lives: the npm package, Ledger's own folder,
 * Node's internals, or one of V8's pseudo-frames ((garbage collector), (program)).
 */
export function packageOf(url: string, functionName: string, root: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [first, second] = url.slice(modules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  if (url.startsWith('node:')) return 'node (internals)';
  const path = relative(root, url.replace(/^file:\/\//, ''));
  return path.startsWith('..') ? url : `ledger ${path.split('/').slice(0, 2).join('/')}`;
}

/** Self time per package and per function, idle time left out (the share of time the process was busy). */
export function summarize(profile: CpuProfile, root: string, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)') return;
    busyUs += us;
    const pkg = packageOf(frame.url, frame.functionName, root);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const where = frame.url === '' ? '' : ` ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`;
    const fn = `${frame.functionName || '(anonymous)'}${where} [${pkg}]`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  });
  const shares = (m: Map<string, number>): Share[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs }));
  return { busyMs: busyUs / 1000, packages: shares(byPackage), functions: shares(byFunction).slice(0, top) };
}

/** `ops`: operations completed while profiling, to print µs per operation (comparable across processes). */
export function printSummary(title: string, file: string, root: string, ops = 0): void {
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, root);
  const perOp = (ms: number) => (ops === 0 ? '-' : ((1000 * ms) / ops).toFixed(1));
  console.log(`\n${title}: ${file}, ${s.busyMs.toFixed(0)} ms busy (self time, idle excluded), ${perOp(s.busyMs)} µs per op over ${ops} ops`);
  console.log('| package | self ms | µs per op | share |\n|---|---|---|---|');
  for (const p of s.packages.filter((p) => p.percent >= 0.5)) console.log(`| ${p.name} | ${p.ms.toFixed(0)} | ${perOp(p.ms)} | ${p.percent.toFixed(1)}% |`);
  console.log('| top function | self ms | µs per op | share |\n|---|---|---|---|');
  for (const f of s.functions) console.log(`| ${f.name} | ${f.ms.toFixed(0)} | ${perOp(f.ms)} | ${f.percent.toFixed(1)}% |`);
}
