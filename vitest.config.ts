import { defineConfig } from 'vitest/config';

// One runner for the whole repository. Integration and end-to-end tests talk to the
// machine's real PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL), so files run
// in parallel but each file isolates itself in its own database schema or data dir.
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
