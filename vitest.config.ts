import { defineConfig } from 'vitest/config';

// Integration tests start real ZooKeeper JVMs: on a 2-core machine they run one file at a time,
// so that start-up deadlines measured on an idle machine still hold.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    globalSetup: ['test/support/globalSetup.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 10_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
