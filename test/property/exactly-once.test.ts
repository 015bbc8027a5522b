/**
 * Exactly-once, as a property: over random, seeded fault schedules (see schedule.ts and
 * sim-cloud.ts), two containers sharing one ledger and one simulated cloud never start two agents
 * for a key, only ever answer 2xx with an agent started for that key, answer every delivery
 * within its deadline, and, once the faults stop, launch every key.
 *
 * PROPERTY_RUNS (default 1000) schedules; PROPERTY_SEED / PROPERTY_PATH replay a failure.
 * Schedules run BATCH at a time, concurrently (real time, scaled to milliseconds), each with its
 * own objects; one fast-check run is one batch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explain, runSchedule, scheduleArb } from './schedule.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const BATCH = Number(process.env.PROPERTY_BATCH ?? 25);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const PATH = process.env.PROPERTY_PATH;
const batches = Math.max(1, Math.ceil(RUNS / BATCH));
const seed = SEED ?? (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0;

describe('exactly one agent per key, under faults', () => {
  it(
    `holds over ${batches * BATCH} schedules (${batches} batches of ${BATCH})`,
    async () => {
      const started = Date.now();
      let schedules = 0;
      const property = fc.asyncProperty(
        fc.array(scheduleArb, { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          const outcomes = await Promise.all(batch.map((schedule) => runSchedule(schedule)));
          schedules += batch.length;
          const failed = batch.flatMap((schedule, i) => {
            const outcome = outcomes[i];
            return outcome === undefined || outcome.violations.length === 0
              ? []
              : [explain(schedule, outcome)];
          });
          if (failed.length > 0) {
            throw new Error(
              `${failed.length} schedule(s) of this batch broke the invariant:\n${failed.join('\n\n')}`,
            );
          }
        },
      );
      const details = await fc.check(property, {
        numRuns: batches,
        seed,
        ...(PATH === undefined ? {} : { path: PATH }),
        // A shrink step re-runs a whole batch in real time: keep shrinking short.
        endOnFailure: process.env.PROPERTY_SHRINK === undefined,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.info(`exactly-once: ${schedules} schedules in ${seconds} s (seed ${seed})`);
      if (details.failed) {
        const rerun = `PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath} PROPERTY_RUNS=${RUNS} PROPERTY_BATCH=${BATCH} npx vitest run test/property`;
        expect.fail(
          `Counterexample after ${details.numRuns} batch(es). Rerun with:\n  ${rerun}\n` +
            `(add PROPERTY_SHRINK=1 to shrink; real time makes replays close to, not exactly, the original)\n\n` +
            `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
        );
      }
    },
    // Roughly half a second per batch on a loaded 2-core machine, plus room.
    60_000 + batches * 3_000,
  );
});
