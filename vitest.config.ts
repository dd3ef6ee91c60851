import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // As bin/acsync.js starts apply and watch: the heap keeper (engine/heap.ts) needs V8's collector.
    execArgv: ['--expose-gc'],
  },
});
