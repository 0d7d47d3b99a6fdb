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

/** How long a standalone process may take to stop after SIGTERM (the API alone drains calls for up to 10 s). */
const STOP_BOUND_MS = 20_000;

/**
 * On SIGTERM or SIGINT: log "<what> stopping", run `stops` in order (each
 * part finishes what it has in hand before closing), log "<what> stopped",
 * then exit 0.
 */
export function stopOnSignal(logger: Logger, what: string, stops: ReadonlyArray<() => Promise<unknown> | undefined>, boundMs = STOP_BOUND_MS): void {
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, `${what} stopping`);
    // A referenced timer: it bounds the stop, and it keeps the event loop
    // alive while a step awaits a promise no handle holds (once the parts
    // closed their sockets Node would otherwise exit 0 mid-stop, silently,
    // before "stopped": seen in CI).
    const bound = setTimeout(() => {
      logger.error({ bound_ms: boundMs }, `${what} did not stop within the bound; exiting`);
      process.exit(1);
    }, boundMs);
    try {
      for (const stop of stops) await stop();
    } catch (err) {
      logger.error({ err }, `${what} stop failed`);
      process.exit(1);
    }
    clearTimeout(bound);
    logger.info(`${what} stopped`);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
