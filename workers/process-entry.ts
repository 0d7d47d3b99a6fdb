import { basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { conciseError } from '../src/observability/concise-error.js';
import type { Logger } from 'pino';

/**
 * Runs `main` only when `moduleUrl` is the process's entry script, not when
 * main.ts or a test imports it. A start that fails is one JSON line on stderr
 * (the error as every log line carries it, issue 12), then exit 1.
 */
export function runIfEntry(moduleUrl: string, main: () => Promise<void>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((err: unknown) => {
    const service = basename(fileURLToPath(moduleUrl), '.ts');
    console.error(JSON.stringify({ level: 'fatal', time: new Date().toISOString(), service, pid: process.pid, err: conciseError(err), msg: `${service} start failed` }));
    process.exit(1);
  });
}

/**
 * On SIGTERM or SIGINT: log "<what> stopping", run `stops` in order (each
 * part finishes what it has in hand before closing), log "<what> stopped",
 * then exit 0.
 */
export function stopOnSignal(logger: Logger, what: string, stops: ReadonlyArray<() => Promise<unknown> | undefined>): void {
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, `${what} stopping`);
    for (const stop of stops) await stop();
    logger.info(`${what} stopped`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
