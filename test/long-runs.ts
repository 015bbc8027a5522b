/**
 * Test files that exist to find rare cases by running long: big bursts against simulated Fargate
 * limits and thousands of random fault schedules in real (scaled) time. They run in
 * `npm run test:load` (vitest.load.config.ts), never in `npm test`: they take minutes, and their
 * real-time deadlines make them fail on a machine busy with other work, where `npm test` must not.
 */
export const LONG_RUNS = ['test/load/load.test.ts', 'test/property/exactly-once.test.ts'];
