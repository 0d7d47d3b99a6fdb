import { randomUUID } from 'node:crypto';
import type { EventLog } from './types.js';

/**
 * What a real node writes each time it starts as leader: an epoch record
 * (a system record, never returned by reads) followed by an event of type
 * `$epoch-information` in the stream `$epoch-information` whose JSON body
 * describes the epoch (EpochManager.WriteEpochInformationWithRetry). So a
 * client reading `$all` from the start of a brand-new node always gets a
 * record and a position. This server writes the event alone.
 */
export const EPOCH_INFORMATION_STREAM = '$epoch-information';
export const EPOCH_INFORMATION_TYPE = '$epoch-information';

interface EpochBody {
  readonly epochPosition: number;
  readonly epochNumber: number;
  readonly epochId: string;
  readonly prevEpochPosition: number;
  readonly timeStamp: string;
  readonly leaderInstanceId: string;
}

/** .NET's round-trip UTC form (7 fractional digits), as the real server serialises its DateTime. */
export const dotnetUtc = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

/** The epoch a node is in, as gossip reports it. */
export interface Epoch {
  readonly epochPosition: number;
  readonly epochNumber: number;
  readonly epochId: string;
}

/** Writes the next epoch's `$epoch-information` event; epochs number from 0 and chain to the previous one's position. */
export const writeEpochInformation = async (log: EventLog, leaderInstanceId: string): Promise<Epoch> => {
  const last = log.lastRevision(EPOCH_INFORMATION_STREAM);
  let prevEpochPosition = -1;
  if (last !== undefined) {
    const read = log.readStream(EPOCH_INFORMATION_STREAM, { direction: 'backwards', from: 'end', maxCount: 1n, resolveLinks: false });
    const prev = read.kind === 'ok' ? read.events[0]?.event : undefined;
    if (prev !== undefined) prevEpochPosition = Number(prev.position);
  }
  const body: EpochBody = {
    epochPosition: Number(log.headPosition()) + 1,
    epochNumber: last === undefined ? 0 : Number(last) + 1,
    epochId: randomUUID(),
    prevEpochPosition,
    timeStamp: dotnetUtc(Date.now()),
    leaderInstanceId,
  };
  const result = await log.append(
    EPOCH_INFORMATION_STREAM,
    [
      {
        eventId: randomUUID(),
        type: EPOCH_INFORMATION_TYPE,
        contentType: 'application/json',
        data: Buffer.from(JSON.stringify(body), 'utf8'),
        metadata: new Uint8Array(0),
      },
    ],
    last === undefined ? { kind: 'no_stream' } : { kind: 'exact', revision: last },
  );
  if (!result.ok) throw new Error(`could not write ${EPOCH_INFORMATION_STREAM}: ${result.reason}`);
  return { epochPosition: body.epochPosition, epochNumber: body.epochNumber, epochId: body.epochId };
};
