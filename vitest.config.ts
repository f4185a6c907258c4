import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,agent,aggregator,firmware-exporters,test}/src/**/*.test.ts'],
    testTimeout: 20_000,
    // Property tests and end-to-end suites are CPU-heavy; CI has 2 cores.
    pool: 'forks',
  },
});
