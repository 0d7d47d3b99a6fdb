import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import {
  correctionsRepair, eventDecoder, parseEventCorrections, shippedEventRepairs, type EventDecoder, type EventRepair,
} from '../src/domain/index.js';

/**
 * The decoding pipeline this process reads events with (issue 14): the
 * shipped upcasters, then the repairs EVENT_REPAIRS names, then the
 * corrections in EVENT_REPAIRS_FILE. Every process that reads events builds
 * it from the same settings, so the command side, as-of queries, the
 * projector, the seed of the read model and rebuilds agree. A bad repairs
 * file fails the start, naming the file.
 */
export function configuredEventDecoder(config: Config): EventDecoder {
  const repairs: EventRepair[] = config.EVENT_REPAIRS.flatMap((name) => {
    const repair = shippedEventRepairs[name];
    return repair === undefined ? [] : [repair];
  });
  const file = config.EVENT_REPAIRS_FILE;
  if (file !== undefined) {
    try {
      repairs.push(correctionsRepair(`file:${file}`, parseEventCorrections(readFileSync(file, 'utf8'))));
    } catch (err) {
      throw new Error(`EVENT_REPAIRS_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return eventDecoder({ repairs });
}

/** One line at start: which repairs and upcasters this process applies. */
export function logEventDecoder(logger: Logger, decoder: EventDecoder): void {
  logger.info({ repairs: decoder.repairs, upcasters: decoder.upcasters }, 'reading events with these repairs and upcasters');
}
