import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // each test file works in its own database cloned from a migrated template, so files run in parallel
    pool: 'forks',
    // tests wait on PostgreSQL more than they compute: more workers than cores keeps both busy
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
