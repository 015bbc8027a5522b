import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { LONG_ONLY } from './test/long-runs.js';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

/**
 * The replay command a property failure prints (`PROPERTY_SEED=… npx vitest run test/property`) runs
 * under this config: with PROPERTY_SEED set, the long runs are not left out.
 */
const excludedLongRuns = process.env.PROPERTY_SEED === undefined ? LONG_ONLY : [];

const COMMON = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks',
} as const;

/**
 * `npm test`: every test file but the long-only runs (`npm run test:load`, see test/long-runs.ts), in
 * two projects sharing the workers (one per core):
 *
 * - `infra`: the CDK tests, in one module registry per worker (`isolate: false`). Loading aws-cdk-lib
 *   costs several CPU-seconds per file, more than most of these files' tests; CDK construction
 *   keeps no state between apps that a test could see (each test builds its own App).
 * - `main`: everything else, each file in its own process (`isolate: true`): these files set
 *   environment variables, start servers, mock SDK clients and fake timers.
 */
export default defineConfig({
  test: {
    // Vitest's default is one worker less than the cores: a single worker on 2 cores. Most files wait
    // on sockets, timers and child processes much of the time, so one worker per core (at least two).
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        test: {
          ...COMMON,
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          isolate: false,
          // A guard against a hang, not a speed check: the first synth in a worker also loads most of
          // aws-cdk-lib and cdk-nag, which took 37 s on a 2-core machine running two CPU hogs beside it.
          testTimeout: 120_000,
        },
      },
      {
        test: {
          ...COMMON,
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/infra/**', ...excludedLongRuns],
          // Self-signed certificate for the HTTPS stand-ins (Azure), trusted via NODE_EXTRA_CA_CERTS.
          globalSetup: ['test/support/tls-global-setup.ts'],
        },
      },
    ],
  },
});
