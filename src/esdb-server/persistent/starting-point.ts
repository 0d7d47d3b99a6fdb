import type { EventLog } from '../store/types.js';
import { lastLogPosition, type ReadCursor } from './event-source.js';
import type { GroupDefinition } from './group-definition.js';

/** Where reading starts: after the stored checkpoint, else at the configured start. */
export function startingPoint(log: EventLog, def: GroupDefinition, checkpoint: bigint | undefined): { cursor: ReadCursor; before: bigint } {
  if (checkpoint !== undefined) {
    const from = def.source.kind === 'stream' ? checkpoint + 1n : checkpoint;
    return { cursor: { from, skipUpTo: checkpoint }, before: checkpoint };
  }
  const s = def.startFrom;
  if (def.source.kind === 'stream') {
    if (s.kind === 'revision') return { cursor: { from: s.revision, skipUpTo: s.revision - 1n }, before: s.revision - 1n };
    if (s.kind === 'end') {
      const last = log.lastRevision(def.source.streamId) ?? -1n;
      return { cursor: { from: last + 1n, skipUpTo: last }, before: last };
    }
    return { cursor: { from: 'start', skipUpTo: -1n }, before: -1n };
  }
  if (s.kind === 'position') return { cursor: { from: s.commit, skipUpTo: s.commit - 1n }, before: s.commit - 1n };
  if (s.kind === 'end') {
    const last = lastLogPosition(log);
    return { cursor: { from: last < 0n ? 'start' : last, skipUpTo: last }, before: last };
  }
  return { cursor: { from: 'start', skipUpTo: -1n }, before: -1n };
}
