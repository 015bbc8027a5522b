import { defineConfig } from 'vitest/config';
import { LONG_RUNS } from './test/long-runs.js';

/**
 * `npm run test:load`: the long runs only (see test/long-runs.ts), with the sizes package.json's
 * script sets (LOAD_TASKS, PROPERTY_RUNS). One file at a time: each measures launches against
 * real-time limits, and sharing the cores would only make those measurements noisier.
 */
export default defineConfig({
  test: {
    include: LONG_RUNS,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    // Self-signed certificate for the HTTPS stand-ins (Azure), trusted via NODE_EXTRA_CA_CERTS.
    globalSetup: ['test/support/tls-global-setup.ts'],
  },
});
