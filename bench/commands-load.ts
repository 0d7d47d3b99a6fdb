/** Closed-loop load: `concurrency` workers each send one request at a time until time is up. */
export type LoadResult = {
  readonly label: string;
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Conflict retries per successful operation (0 where the operation has none). */
  readonly retriesPerOp: number;
};

/** One operation: resolves with its conflict retries, or 'failed'. */
export type Operation = (worker: number) => Promise<number | 'failed'>;

export async function runLoad(label: string, concurrency: number, seconds: number, op: Operation): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let retries = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const r = await op(worker);
        latencies.push(performance.now() - t0);
        if (r === 'failed') failed += 1;
        else {
          ok += 1;
          retries += r;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    label,
    ok,
    failed,
    seconds: elapsed,
    perSecond: ok / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    retriesPerOp: ok === 0 ? 0 : retries / ok,
  };
}

export const formatRow = (r: LoadResult): string =>
  `| ${r.label} | ${r.ok} | ${r.failed} | ${r.perSecond.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ${r.retriesPerOp.toFixed(3)} |`;

export const TABLE_HEADER = '| scenario | ok | failed | per second | p50 ms | p99 ms | conflict retries / op |\n|---|---|---|---|---|---|---|';
