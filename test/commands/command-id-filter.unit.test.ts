import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CommandIdFilter } from '../../src/app/command-id-filter.js';

describe('CommandIdFilter (the command ids a snapshot no longer lists)', () => {
  const known = Array.from({ length: 5_000 }, () => randomUUID());
  const filter = CommandIdFilter.empty();
  for (const id of known) filter.add(id);

  test('given ids added, then every one of them is reported (no false negative)', () => {
    expect(known.filter((id) => !filter.mightContain(id))).toEqual([]);
  });

  test('given ids never added, then almost none is reported (false positives well under 1%)', () => {
    const strangers = Array.from({ length: 20_000 }, () => randomUUID());
    const falsePositives = strangers.filter((id) => filter.mightContain(id)).length;
    expect(falsePositives).toBeLessThan(200);
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
