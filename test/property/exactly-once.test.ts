/**
 * Exactly-once, as a property: over random, seeded fault schedules (see schedule.ts and
 * sim-cloud.ts), the containers of one deployment, or of an old and a new one side by side, sharing
 * one ledger and one simulated cloud never start two agents for a key, only ever answer 2xx with
 * an agent started for that key and task, answer every delivery within its deadline, and, once the
 * faults stop, launch every key. The env0 poller over the same cloud never runs more than
 * maxExecutions agents, loses track of none, and never decides twice (poller-schedule.ts).
 *
 * PROPERTY_RUNS (default 1000) webhook schedules, PROPERTY_POLLER_RUNS (default RUNS / 5) poller
 * schedules; PROPERTY_SEED / PROPERTY_PATH replay a failure; PROPERTY_SURVEY=1 runs them all and
 * prints the failures by class (classify.ts). Schedules run BATCH at a time, concurrently (real
 * time, scaled to milliseconds), each with its own objects; one fast-check run is one batch. The
 * first failing schedule is shrunk alone (shrink.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLedgerTable } from '../support/dynalite-table.js';
import { classify, type FailureClass } from './classify.js';
import { loopLag } from './loop-lag.js';
import { explainPoller, pollerScheduleArb, runPollerSchedule } from './poller-schedule.js';
import { explain, prepareSchedule, type Schedule, scheduleArb, useDynalite } from './schedule.js';
import { shrinkSchedule } from './shrink.js';

// The registry and the ECS leg factory are the production code; only the clients under them are the
// simulated cloud, and the retry policy is scaled to the simulation's milliseconds (sim-wiring.ts).
vi.mock('@aws-sdk/client-ecs', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@aws-sdk/client-ecs')>()),
  ECSClient: (await import('./sim-wiring.js')).SimEcsClient,
}));
vi.mock('../../lambda/launchers/aca/arm-job-api.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lambda/launchers/aca/arm-job-api.js')>()),
  ArmJobApi: (await import('./sim-wiring.js')).SimArmJobApi,
}));
vi.mock('../../lambda/launchers/aca/aca-config.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lambda/launchers/aca/aca-config.js')>();
  const { SETTLE_MS } = await import('./scale.js');
  return {
    ...original,
    loadAcaConfig: (env: Record<string, string | undefined>) => ({
      ...original.loadAcaConfig(env),
      listSettleSeconds: SETTLE_MS / 1000,
    }),
  };
});
vi.mock('../../lambda/launchers/aca/template-cache.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lambda/launchers/aca/template-cache.js')>();
  const { TEMPLATE_READ_MS } = await import('./scale.js');
  class ScaledTemplateCache extends original.TemplateCache {
    constructor(...[read, options]: ConstructorParameters<typeof original.TemplateCache>) {
      super(read, { ...options, readTimeoutMs: options.readTimeoutMs ?? TEMPLATE_READ_MS });
    }
  }
  return { ...original, TemplateCache: ScaledTemplateCache };
});
vi.mock('../../lambda/launchers/retry.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lambda/launchers/retry.js')>()),
  DEFAULT_RETRY_POLICY: (await import('./scale.js')).RETRY,
}));

let table: Awaited<ReturnType<typeof startLedgerTable>> | undefined;
beforeAll(async () => {
  loopLag.start();
  table = await startLedgerTable();
  useDynalite(table.client);
});
afterAll(async () => {
  loopLag.stop();
  useDynalite(undefined);
  await table?.stop();
});

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const BATCH = Number(process.env.PROPERTY_BATCH ?? 25);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const PATH = process.env.PROPERTY_PATH;
const batches = Math.max(1, Math.ceil(RUNS / BATCH));
const seed = SEED ?? (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0;
/** PROPERTY_SURVEY=1: run every schedule, never stop at a failure; print failures by class. */
const SURVEY = process.env.PROPERTY_SURVEY !== undefined;
/** PROPERTY_SURVEY_SHOW=<class>[,<class>...]: print the failing schedules of these classes. */
const SHOW = (process.env.PROPERTY_SURVEY_SHOW ?? '').split(',');
/** Time spent shrinking the first failing schedule to a minimal one. */
const SHRINK_MS = Number(process.env.PROPERTY_SHRINK_MS ?? 4_000);

describe('exactly one agent per key, under faults', () => {
  it(
    `holds over ${batches * BATCH} schedules (${batches} batches of ${BATCH})`,
    async () => {
      const started = Date.now();
      let schedules = 0;
      const survey = new Map<FailureClass, { count: number; first: number }>();
      let firstFailure: Schedule | undefined;
      const property = fc.asyncProperty(
        fc.array(scheduleArb, { minLength: BATCH, maxLength: BATCH }),
        async (batch) => {
          const plays = await Promise.all(batch.map((schedule) => prepareSchedule(schedule)));
          const outcomes = await Promise.all(plays.map((play) => play()));
          const failedIndex = outcomes.findIndex((outcome) => outcome.violations.length > 0);
          for (const [i, outcome] of outcomes.entries()) {
            const schedule = batch[i];
            if (outcome.violations.length === 0 || schedule === undefined) continue;
            const kind = classify(schedule, outcome);
            if (SHOW.includes(kind)) console.info(explain(schedule, outcome));
            const seen = survey.get(kind);
            survey.set(kind, { count: (seen?.count ?? 0) + 1, first: seen?.first ?? schedules + i + 1 });
          }
          schedules += batch.length;
          if (SURVEY) return;
          const first = batch[failedIndex];
          if (first !== undefined) {
            firstFailure ??= first;
            const failed = batch.flatMap((schedule, i) => {
              const outcome = outcomes[i];
              return outcome === undefined || outcome.violations.length === 0
                ? []
                : [explain(schedule, outcome)];
            });
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
        // Shrinking a batch re-runs the whole batch in real time: the first failing schedule is
        // shrunk alone instead (shrink.ts).
        endOnFailure: true,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.info(`exactly-once: ${schedules} schedules in ${seconds} s (seed ${seed})`);
      if (survey.size > 0) {
        console.info(
          `failures by class (count, first schedule):\n${[...survey.entries()]
            .map(([kind, { count, first }]) => `  ${kind}: ${count}, first at #${first}`)
            .join('\n')}`,
        );
      }
      if (SURVEY) return;
      if (details.failed) {
        // One schedule, shrunk (re-run in real time: a candidate counts as failing if it fails once).
        const minimal =
          firstFailure === undefined ? undefined : await shrinkSchedule(firstFailure, SHRINK_MS);
        const rerun = `PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath} PROPERTY_RUNS=${RUNS} PROPERTY_BATCH=${BATCH} npx vitest run test/property`;
        expect.fail(
          `Counterexample after ${details.numRuns} batch(es). Rerun with:\n  ${rerun}\n` +
            `(real time makes replays close to, not exactly, the original)\n\n` +
            (minimal === undefined
              ? ''
              : `Minimal counterexample (${classify(minimal.schedule, minimal.outcome)}, shrunk in ${minimal.steps} steps):\n${explain(minimal.schedule, minimal.outcome)}\n\nThe whole failing batch:\n`) +
            `${details.errorInstance instanceof Error ? details.errorInstance.message.slice(0, 20_000) : String(details.errorInstance)}`,
        );
      }
    },
    // Roughly half a second per batch on a loaded 2-core machine, plus room.
    60_000 + batches * 3_000,
  );
});

const POLLER_RUNS = Number(process.env.PROPERTY_POLLER_RUNS ?? Math.ceil(RUNS / 5));
/** Poller schedules mostly wait (polls spread over 300 ms, agents that run): twice as many at once. */
const POLLER_BATCH = BATCH * 2;
const pollerBatches = Math.max(1, Math.ceil(POLLER_RUNS / POLLER_BATCH));

describe('the env0 poller over the same cloud', () => {
  it(
    `never starts more than maxExecutions, forgets no agent, never decides twice (${pollerBatches * POLLER_BATCH} schedules)`,
    async () => {
      const started = Date.now();
      let schedules = 0;
      let found: { count: number; first: number } | undefined;
      const dynamo = table === undefined ? undefined : { client: table.client, tableName: 'ledger' };
      const property = fc.asyncProperty(
        fc.array(pollerScheduleArb, { minLength: POLLER_BATCH, maxLength: POLLER_BATCH }),
        async (batch) => {
          const outcomes = await Promise.all(batch.map((s) => runPollerSchedule(s, dynamo)));
          const failed = batch.flatMap((schedule, i) => {
            const outcome = outcomes[i];
            return outcome === undefined || outcome.violations.length === 0
              ? []
              : [{ i, text: explainPoller(schedule, outcome) }];
          });
          const firstFailed = failed[0];
          if (firstFailed !== undefined) {
            found = {
              count: (found?.count ?? 0) + failed.length,
              first: found?.first ?? schedules + firstFailed.i + 1,
            };
          }
          schedules += batch.length;
          if (SHOW.includes('case2-poller')) for (const f of failed) console.info(f.text);
          if (SURVEY || firstFailed === undefined) return;
          throw new Error(
            `${failed.length} poller schedule(s) broke the invariant:\n${failed.map((f) => f.text).join('\n\n')}`,
          );
        },
      );
      const details = await fc.check(property, {
        numRuns: pollerBatches,
        seed,
        ...(PATH === undefined ? {} : { path: PATH }),
        endOnFailure: true,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.info(`poller: ${schedules} schedules in ${seconds} s (seed ${seed})`);
      if (found !== undefined) {
        console.info(
          `failures by class (count, first schedule):\n  case2-poller: ${found.count}, first at #${found.first}`,
        );
      }
      if (SURVEY) return;
      if (details.failed) {
        expect.fail(
          `Counterexample after ${details.numRuns} batch(es). Rerun with:\n  PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath} PROPERTY_RUNS=${RUNS} PROPERTY_BATCH=${BATCH} npx vitest run test/property\n\n` +
            `${details.errorInstance instanceof Error ? details.errorInstance.message.slice(0, 20_000) : String(details.errorInstance)}`,
        );
      }
    },
    60_000 + pollerBatches * 3_000,
  );
});
