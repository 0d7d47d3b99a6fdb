import { defineConfig } from 'vitest/config';

// Test tiers live in the file name (STYLE.md §6): *.unit.test.ts are pure,
// *.int.test.ts talk to real servers, *.e2e.test.ts start processes.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Ledger's default ports stay taken during tests, as while `npm start` runs (issue 11).
    globalSetup: ['./test/support/hold-default-ports.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.unit.test.ts', 'src/**/*.unit.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.int.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.e2e.test.ts'], fileParallelism: false } },
      // The event-store suites that cover append, read, subscriptions, persistent subscriptions
      // and errors, once more through @kurrent/kurrentdb-client 1.x (issue 16; test/esdb/client-under-test.ts).
      {
        extends: true,
        test: {
          name: 'kurrentdb-client',
          include: ['append', 'read', 'subscribe', 'delete-and-metadata', 'persistent-delivery', 'persistent-admin', 'persistent-all', 'persistent-strategies', 'persistent-settings'].map((suite) => `test/esdb/${suite}.int.test.ts`),
          env: { ESDB_TEST_CLIENT: 'kurrentdb' },
        },
      },
    ],
  },
});
