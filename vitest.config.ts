import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';
import { LONG_ONLY } from './test/long-runs.js';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.js';

/**
 * The replay command a property failure prints (`PROPERTY_SEED=… npx vitest run test/property`) runs
 * under this config: with PROPERTY_SEED set, the long runs are not left out.
 */
const excludedLongRuns = process.env.PROPERTY_SEED === undefined ? LONG_ONLY : [];

/** Unit and integration files run in a shared module registry per worker (see below). */
const SHARED = ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'];

/**
 * Of those, the files that need a process of their own: they mock a module with `vi.mock` (another
 * file in the same registry would get the mock, or this one the real module), or import a Lambda
 * entry point (lambda/handler.ts and the others build their dispatcher from process.env once, at
 * import) or a built bundle.
 */
const OWN_PROCESS = [
  'test/integration/failover.test.ts',
  'test/integration/dispatch-metrics.test.ts',
  'test/integration/task-trail-failover.test.ts',
  'test/integration/lambda-handler.test.ts',
  'test/integration/lambda-bundle.test.ts',
  'test/integration/aca-bundles.test.ts',
  'test/integration/scalr-registration.test.ts',
];

const COMMON = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // aws-cdk-lib validates every synthesized template against CloudFormation's schemas (a WASM
  // engine: about 3 s to start in each process, then most of each test's synth). The tests that
  // prove the templates valid turn it back on (test/infra/cdk-synth.test.ts); the real `cdk synth`
  // there runs it as a user's does.
  env: { CDK_VALIDATION: 'false' },
} as const;

/**
 * `npm test`: every test file but the long-only runs (`npm run test:load`, see test/long-runs.ts), in
 * three projects sharing the workers (one per core):
 *
 * - `infra`: the CDK tests, in one module registry per worker (`isolate: false`). Loading aws-cdk-lib
 *   costs several CPU-seconds per file, more than most of these files' tests; CDK construction
 *   keeps no state between apps that a test could see (each test builds its own App).
 * - `shared`: the unit and integration files, also `isolate: false`: loading the AWS and Azure SDKs
 *   once per worker instead of once per file halves their CPU time. They may set environment
 *   variables, start servers and fake timers, but put everything back when they end (a class-wide
 *   `mockClient` is restored in `afterAll`); `--sequence.shuffle.files` runs them in any order.
 * - `main`: each file in its own process (`isolate: true`): the package, property and load files, and
 *   OWN_PROCESS above.
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
          name: 'shared',
          include: SHARED,
          exclude: [...configDefaults.exclude, ...OWN_PROCESS],
          isolate: false,
          globalSetup: ['test/support/tls-global-setup.ts'],
        },
      },
      {
        test: {
          ...COMMON,
          name: 'main',
          include: [
            'test/package/**/*.test.ts',
            'test/property/**/*.test.ts',
            'test/load/**/*.test.ts',
            ...OWN_PROCESS,
          ],
          exclude: [...configDefaults.exclude, ...excludedLongRuns],
          // Self-signed certificate for the HTTPS stand-ins (Azure), trusted via NODE_EXTRA_CA_CERTS.
          globalSetup: ['test/support/tls-global-setup.ts'],
        },
      },
    ],
  },
});
