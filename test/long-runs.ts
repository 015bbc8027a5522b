/**
 * Test files that exist to find rare cases by running long: big bursts against simulated Fargate
 * limits and thousands of random fault schedules. `npm run test:load` (vitest.load.config.ts) runs
 * them at full size (LOAD_TASKS, PROPERTY_RUNS=20000).
 */
export const LONG_RUNS = ['test/load/load.test.ts', 'test/property/exactly-once.test.ts'];

/**
 * Of those, the ones `npm test` leaves out: the 400-task bursts take minutes. The property test stays
 * in `npm test` at its default size (1,000 webhook schedules, 200 poller schedules, under 20 s): it is
 * what finds a double launch at the seams (issue 20), so every change must pass it.
 */
export const LONG_ONLY = ['test/load/load.test.ts'];
