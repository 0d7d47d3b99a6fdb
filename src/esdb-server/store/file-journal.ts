import { mkdirSync, openSync, closeSync, readSync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_TORN_BYTES, type Journal } from './stream-store.js';
import type { RecordedEvent } from './types.js';
import {
  CORRUPT,
  INCOMPLETE,
  Interner,
  MAX_RESYNC_FRAME,
  decodeRecord,
  encodeRecords,
  frameSize,
  isWholeFrame,
  type DecodeContext,
} from './record-codec.js';
import { LinkStreams } from './system-projections.js';

export const LOG_FILE = 'events.log';
const CHUNK = 32 * 1024 * 1024;

export interface Recovery {
  readonly records: number;
  /** Bytes cut off the end because the last record was torn or corrupt. */
  readonly truncatedBytes: number;
}

/** The log is damaged before its end: records that were acknowledged follow the damage. */
export class CorruptLogError extends Error {
  constructor(
    readonly path: string,
    /** Byte offset of the first record that fails its checksum. */
    readonly offset: number,
    /** Byte offset of the next whole record after it. */
    readonly nextWholeRecord: number,
  ) {
    super(
      `${path}: the record at byte ${offset} is damaged, and whole records follow it from byte ${nextWholeRecord}; ` +
        `refusing to cut acknowledged events off the log. Restore the data directory from a backup, or keep only what ` +
        `precedes the damage with: truncate -s ${offset} ${path}`,
    );
    this.name = 'CorruptLogError';
  }
}

/** The offset of the first whole frame after `from`, scanning byte by byte (only after damage is found). */
const nextWholeFrame = (fd: number, from: number, size: number): number | undefined => {
  const window = Buffer.allocUnsafe(CHUNK + MAX_RESYNC_FRAME + 8);
  for (let pos = from; pos < size; pos += CHUNK) {
    const n = readSync(fd, window, 0, window.length, pos);
    const b = window.subarray(0, n);
    for (let at = 0; at < Math.min(CHUNK, n); at++) if (isWholeFrame(b, at)) return pos + at;
  }
  return undefined;
};

/**
 * Reads every whole, checksummed record of the log in order and truncates a
 * torn tail (an append cut short by a crash was never acknowledged, so
 * dropping it loses nothing that was promised). A crash tears at most the
 * last MAX_TORN_BYTES (the group commits then in flight); damage further
 * from the end, with whole records after it, is not a torn tail: recovery
 * stops with a CorruptLogError and changes nothing. (Within that last
 * stretch the two cannot be told apart without a separate durable
 * checkpoint, so damage there is cut off as a torn tail.)
 */
export const recoverLog = (
  dataDir: string,
  onRecord: (r: RecordedEvent) => void,
  recordAt: (position: number) => RecordedEvent | undefined,
): Recovery => {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOG_FILE);
  const fd = openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    let fileOffset = 0;
    let carry = Buffer.alloc(0);
    let position = 0;
    let good = 0;
    let corrupt = false;
    const ctx: DecodeContext = { recordAt, names: new Interner(), links: new LinkStreams() };
    while (fileOffset < size && !corrupt) {
      const chunk = Buffer.allocUnsafe(Math.max(CHUNK, carry.length * 2));
      carry.copy(chunk, 0);
      const n = readSync(fd, chunk, carry.length, chunk.length - carry.length, fileOffset);
      if (n === 0) break;
      fileOffset += n;
      const buf = chunk.subarray(0, carry.length + n);
      let at = 0;
      for (;;) {
        const r = decodeRecord(buf, at, position + 1, ctx);
        if (r === INCOMPLETE) break;
        if (r === CORRUPT) {
          corrupt = true;
          break;
        }
        const size = frameSize(buf, at);
        position += 1;
        at += size;
        good += size;
        onRecord(r);
      }
      // Records of the next chunk start here; keep the partial frame.
      carry = Buffer.from(buf.subarray(at));
    }
    const truncatedBytes = size - good;
    // A crash can tear at most the writes still on their way to disk; damage
    // further from the end with whole records after it is not a torn tail.
    if (truncatedBytes > MAX_TORN_BYTES) {
      const next = nextWholeFrame(fd, good + 1, size);
      if (next !== undefined) throw new CorruptLogError(path, good, next);
    }
    if (truncatedBytes > 0) ftruncateSync(fd, good);
    return { records: position, truncatedBytes };
  } finally {
    closeSync(fd);
  }
};

/**
 * The append-only log file; one write and (optionally) one fdatasync per
 * group commit. Writes go to the file strictly one after another (a later
 * group never lands before an earlier one, and after a failed write none
 * follows it); the fdatasyncs of different groups may overlap.
 *
 * The write itself is synchronous: it only copies the group into the page
 * cache (microseconds), while FileHandle.write cost a thread-pool round trip
 * and ~0.2 ms of this thread's CPU per group (bench/esdb-append.ts profile,
 * issue 16: 64 single appends in flight used 83-96 µs of server CPU per
 * event, 70-80 with this). Only the fdatasync, which waits for the disk,
 * goes to the thread pool.
 */
export const openFileJournal = async (dataDir: string, fsync: boolean): Promise<Journal> => {
  const fh: FileHandle = await open(join(dataDir, LOG_FILE), 'a');
  // A failed write may have left a torn record at the end of the file, and
  // after a failed fdatasync the page cache's state is unknown: a record
  // appended behind either could never be recovered, so every later write fails too.
  let broken: Error | undefined;
  const breakWith = (e: unknown): Promise<never> => {
    broken ??= e instanceof Error ? e : new Error(String(e));
    return Promise.reject(broken);
  };
  return {
    write(records) {
      if (broken !== undefined) return Promise.reject(broken);
      const buf = encodeRecords(records);
      try {
        for (let off = 0; off < buf.length; ) off += writeSync(fh.fd, buf, off, buf.length - off);
      } catch (e) {
        return breakWith(e);
      }
      return fsync ? fh.datasync().catch(breakWith) : Promise.resolve();
    },
    async close() {
      await fh.close();
    },
  };
};
