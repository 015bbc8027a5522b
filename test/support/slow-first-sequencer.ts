import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest (mostly in child processes: the CDK CLI, tsc and npm), started first so
 * they overlap the many short files instead of trailing after them. Vitest orders by the durations
 * of the previous run when it has them; a fresh clone has none, and these would start wherever
 * their size put them.
 */
const SLOW_FIRST = [
  // The longest by far (tsc, esbuild, npm ci, a consumer's synth): it runs beside all the others.
  'test/package/pack.test.ts',
  'test/infra/cdk-synth.test.ts',
  'test/integration/doctor.test.ts',
  'test/property/exactly-once.test.ts',
  'test/integration/task-trail-failover.test.ts',
  'test/integration/trigger-command.test.ts',
];

function rank(spec: TestSpecification): number {
  const path = spec.moduleId.replaceAll('\\', '/');
  const index = SLOW_FIRST.findIndex((file) => path.endsWith(file));
  return index < 0 ? SLOW_FIRST.length : index;
}

/** The default order (previous durations, else size), with the known slow files moved to the front. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
