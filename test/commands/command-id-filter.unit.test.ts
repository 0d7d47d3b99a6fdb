import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandIdFilter } from '../../src/app/command-id-filter.js';

/** Three ids added by the filter as it was at 16 bits per id (11 hashes, double hashing), as a snapshot holds them. */
const OLD_IDS = ['5b2f8f4e-0000-4000-8000-000000000001', '5b2f8f4e-0000-4000-8000-000000000002', '5b2f8f4e-0000-4000-8000-000000000003'];
const OLD_FILTER_JSON = '[[256,3,"AABAAAAAAAAAAAAAAAAAAgAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAgAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAEAAACAAAAAAAAEAAAEAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAABAAAAAAAAAAAAAgAEAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAIAAAAAAAAAAAAIAAAAAAAAAAAIAAAAAAAAAA="]]';

describe('CommandIdFilter (the command ids an account no longer lists)', () => {
  const known = Array.from({ length: 5_000 }, () => randomUUID());
  const filter = CommandIdFilter.empty();
  for (const id of known) filter.add(id);

  test('given ids added, then every one of them is reported (no false negative)', () => {
    expect(known.filter((id) => !filter.mightContain(id))).toEqual([]);
  });

  test('given ids never added, then almost none is reported (false positives under 0.05%: each costs a read of the stream)', () => {
    const strangers = Array.from({ length: 20_000 }, () => randomUUID());
    const falsePositives = strangers.filter((id) => filter.mightContain(id)).length;
    expect(falsePositives).toBeLessThan(10);
  });

  test('given a filter written with 16 bits per id (snapshots before 32), then its ids still answer, and it takes more', () => {
    const older = CommandIdFilter.fromJson(JSON.parse(OLD_FILTER_JSON));
    expect(OLD_IDS.every((id) => older.mightContain(id))).toBe(true);
    expect(older.mightContain('5b2f8f4e-0000-4000-8000-000000000004')).toBe(false);
    older.add('5b2f8f4e-0000-4000-8000-000000000004');
    expect([...OLD_IDS, '5b2f8f4e-0000-4000-8000-000000000004'].every((id) => older.mightContain(id))).toBe(true);
  });

  test('given a filter written to JSON and read back, then it answers the same', () => {
    const back = CommandIdFilter.fromJson(JSON.parse(JSON.stringify(filter.toJson())));
    expect(known.every((id) => back.mightContain(id))).toBe(true);
    expect(back.toJson()).toEqual(filter.toJson());
  });

  test('given an empty filter, then nothing is reported', () => {
    expect(CommandIdFilter.empty().mightContain(known[0]!)).toBe(false);
  });
});
