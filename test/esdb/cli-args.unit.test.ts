import { describe, expect, test } from 'vitest';
import { parseArgs } from '../../src/esdb-server/cli.js';

describe('ledger-esdb arguments', () => {
  test('the standard projections are off unless asked, as on the real server', () => {
    expect(parseArgs(['--memory']).systemProjections).toBe(false);
    expect(parseArgs(['--memory', '--start-standard-projections']).systemProjections).toBe(true);
    expect(parseArgs(['--memory', '--run-projections=All', '--start-standard-projections=true']).systemProjections).toBe(true);
    expect(parseArgs(['--memory', '--start-standard-projections=false']).systemProjections).toBe(false);
    // The real server's projection subsystem switch: none keeps them off.
    expect(parseArgs(['--memory', '--run-projections=None', '--start-standard-projections']).systemProjections).toBe(false);
    expect(() => parseArgs(['--memory', '--run-projections=some'])).toThrow(/run-projections/);
  });
});
