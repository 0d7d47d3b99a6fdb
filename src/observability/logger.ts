import { pino, destination, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { conciseError } from './concise-error.js';
import { secretRedactor } from './secret-redaction.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Which process: api, projector, jobs; lands on every line as `service`. */
  service: string;
  level: LevelWithSilent;
  /** Where lines go; stdout when omitted (containers collect stdout). */
  destination?: DestinationStream;
  /** Values never to write (passwords, tokens from the config, src/config.ts configSecrets); issue 13. */
  secrets?: readonly string[];
}

/**
 * One JSON object per line: `level` as a word, `time` in ISO-8601, `service`,
 * `msg`. Log shippers index these fields without a parsing rule.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const redact = secretRedactor(opts.secrets);
  return pino(
    {
      level: opts.level,
      base: { service: opts.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors as one short field: message, code, cause chain, top frames; no driver internals.
      serializers: { err: conciseError, error: conciseError },
      // Admin tokens and connection strings must never reach a log line.
      redact: { paths: ['token', 'authorization', '*.authorization', 'password', '*.password'], censor: '[redacted]' },
      // And, whatever field carried it, no URL password, bearer token or configured secret (secret-redaction.ts).
      hooks: { streamWrite: redact },
    },
    // Synchronous stdout: with pino's default asynchronous writes, the exit
    // hook's synchronous flush could land the last line ("api stopped")
    // before an earlier one still in the thread pool ("api stopping"): seen
    // in CI. Ledger logs a few lines per operation at most, not per event.
    opts.destination ?? destination({ dest: 1, sync: true }),
  );
}

/** The ids that tie one request's log lines, events and jobs together (ARCHITECTURE.md event metadata). */
export interface CorrelationIds {
  correlationId: string;
  causationId?: string;
  commandId?: string;
}

/** A child logger whose every line carries the request's ids under the names used in event metadata. */
export function withCorrelation(logger: Logger, ids: CorrelationIds): Logger {
  const fields: Record<string, string> = { correlation_id: ids.correlationId };
  if (ids.causationId !== undefined) fields.causation_id = ids.causationId;
  if (ids.commandId !== undefined) fields.command_id = ids.commandId;
  return logger.child(fields);
}
