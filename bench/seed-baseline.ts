import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AwsStandIn } from '../test/support/aws-stand-in.js';
import { ms, summarize } from './stats.js';
import { BENCH_ECS_ENV } from './warm.js';

/**
 * The Python seed (Scalr's guide: boto3 `run_task` in a Lambda handler) next to our ECS bundle, both
 * against one ECS stand-in in this process, each in its own child process as in Lambda. Cold start:
 * whole-process wall time of "start, import, answer one webhook, exit", minus the bare runtime
 * (`python3 -c ''`, `node -e ''`), the four commands interleaved run by run so drift hits all alike.
 * Warm: `samples` webhooks `gapMs` apart in one process (Lambda traffic is spaced, not back to back).
 */

const SEED_DRIVER = resolve('bench/seed/drive_seed.py');
const BUNDLE_DRIVER = resolve('bench/drive-bundle.mjs');

/** Why the Python baseline cannot run here, or undefined when python3 and boto3 are there. */
export function seedUnavailable(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.error) return 'python3 not found';
  if (probe.status !== 0) return 'boto3 not installed (apt-get install python3-boto3)';
  return undefined;
}

function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; out: string }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { env });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0) fail(new Error(`${command} ${args.join(' ')} exited ${code}: ${out.slice(0, 400)}`));
      else done({ ms: elapsed, out });
    });
  });
}

export interface SeedComparison {
  readonly runs: number;
  readonly ours: { aboveBareMs: number; bareMs: number; wallMs: number };
  readonly seed: { aboveBareMs: number; bareMs: number; wallMs: number } | undefined;
  /** Median over runs of (ours above bare) / (seed above bare), pair by pair. */
  readonly pairedRatio: number | undefined;
  readonly warm: {
    readonly samples: number;
    readonly gapMs: number;
    readonly ours: ReturnType<typeof summarize>;
    /** Bare RunTask over node:http from the same process, alternating with ours: the round trip's floor. */
    readonly floor: ReturnType<typeof summarize>;
    readonly seed: ReturnType<typeof summarize> | undefined;
  };
  readonly skipped: string | undefined;
}

export async function compareWithSeed(
  bundle = resolve('dist/ecs/handler.mjs'),
  { runs = 15, samples = 300, gapMs = 66 } = {},
): Promise<SeedComparison> {
  const skipped = seedUnavailable();
  const standIn = new AwsStandIn();
  const endpoint = await standIn.start();
  const env = {
    ...process.env,
    ...AwsStandIn.clientEnv(endpoint),
    ...BENCH_ECS_ENV,
    // Lambda sets both; botocore reads only the second.
    AWS_DEFAULT_REGION: 'us-east-1',
    LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  try {
    const cols = {
      nodeBare: [] as number[],
      ours: [] as number[],
      pyBare: [] as number[],
      seed: [] as number[],
    };
    const ratios: number[] = [];
    // One unmeasured round warms the page cache for both runtimes.
    for (let i = 0; i <= runs; i++) {
      const nodeBare = (await timed(process.execPath, ['-e', ''], env)).ms;
      const ours = (await timed(process.execPath, [BUNDLE_DRIVER, bundle, 'cold'], env)).ms;
      const pyBare = skipped ? Number.NaN : (await timed('python3', ['-c', ''], env)).ms;
      const seed = skipped ? Number.NaN : (await timed('python3', [SEED_DRIVER, 'cold'], env)).ms;
      if (i === 0) continue;
      cols.nodeBare.push(nodeBare);
      cols.ours.push(ours);
      cols.pyBare.push(pyBare);
      cols.seed.push(seed);
      ratios.push((ours - nodeBare) / (seed - pyBare));
    }
    const median = (xs: number[]) => summarize(xs).p50;
    const figure = (bare: number[], loaded: number[]) => ({
      bareMs: median(bare),
      wallMs: median(loaded),
      aboveBareMs: median(loaded) - median(bare),
    });
    const lastLine = async (command: string, args: string[]) =>
      JSON.parse((await timed(command, args, env)).out.trim().split('\n').pop() ?? 'null') as unknown;
    const warmArgs = [String(samples), String(gapMs)];
    const ours = (await lastLine(process.execPath, [BUNDLE_DRIVER, bundle, 'warm', ...warmArgs])) as {
      handler: number[];
      floor: number[];
    };
    return {
      runs,
      ours: figure(cols.nodeBare, cols.ours),
      seed: skipped ? undefined : figure(cols.pyBare, cols.seed),
      pairedRatio: skipped ? undefined : median(ratios),
      warm: {
        samples,
        gapMs,
        ours: summarize(ours.handler),
        floor: summarize(ours.floor),
        seed: skipped
          ? undefined
          : summarize((await lastLine('python3', [SEED_DRIVER, 'warm', ...warmArgs])) as number[]),
      },
      skipped,
    };
  } finally {
    await standIn.stop();
  }
}

const x = (value: number) => `×${value.toFixed(2)}`;

export function formatSeedComparison(c: SeedComparison): string[] {
  const lines: string[] = [];
  const cold = (name: string, f: SeedComparison['ours']) =>
    `${name.padEnd(34)} ${ms(f.aboveBareMs).padStart(10)} above bare (${ms(f.wallMs)} whole process, bare ${ms(f.bareMs)})`;
  lines.push(cold('cold start, ours (ECS bundle)', c.ours));
  if (c.seed === undefined || c.pairedRatio === undefined || c.warm.seed === undefined) {
    lines.push(`Python seed baseline skipped: ${c.skipped}`);
  } else {
    lines.push(cold('cold start, Python seed (boto3)', c.seed));
    lines.push(
      `cold start ratio ours/seed         ${x(c.pairedRatio)} (median of ${c.runs} paired runs; goal <= ×0.25)`,
    );
  }
  const warm = (name: string, s: ReturnType<typeof summarize>) =>
    `${name.padEnd(34)} p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`;
  lines.push(warm(`warm, ours (${c.warm.samples} webhooks ${c.warm.gapMs} ms apart)`, c.warm.ours));
  lines.push(warm('floor: bare RunTask over node:http', c.warm.floor));
  lines.push(
    `warm ratio ours/floor              p50 ${x(c.warm.ours.p50 / c.warm.floor.p50)}  p99 ${x(c.warm.ours.p99 / c.warm.floor.p99)}  (same process, calls alternating)`,
  );
  if (c.warm.seed) {
    lines.push(warm('warm, Python seed (same spacing)', c.warm.seed));
    lines.push(
      `warm ratio ours/seed               p50 ${x(c.warm.ours.p50 / c.warm.seed.p50)}  p99 ${x(c.warm.ours.p99 / c.warm.seed.p99)}  (goal: ours p99 <= 3 ms)`,
    );
  }
  return lines;
}

// Standalone: `npx tsx scripts/build-lambda.ts ecs && npx tsx bench/seed-baseline.ts`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const line of formatSeedComparison(await compareWithSeed())) console.log(line);
}
