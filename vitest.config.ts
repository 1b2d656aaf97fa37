import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: end-to-end tests spawn the CLI and a sandbox each; more workers only thrash.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
