import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { summarize } from './stats.js';

const BUNDLE_ENV = {
  WEBHOOK_SECRET: 'bench-secret',
  AGENT_TOKEN: 'bench-token',
  ECS_CLUSTER: 'agents',
  ECS_TASK_DEFINITION: 'scalr-agent',
  ECS_CONTAINER_NAME: 'agent',
  ECS_SUBNETS: 'subnet-0123456789abcdef0',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Minification renames classes, so look for what survives it: the SDK's user agent or an import. */
export function carriesAzureSdk(source: string): boolean {
  return source.includes('azsdk-js-arm-appcontainers') || /from\s*["']@azure\//.test(source);
}

function wallTimeMs(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Cold start of a built bundle: whole-process wall time of importing it (top-level await included,
 * so the launcher is ready) minus that of `node -e ''`, plus the import time measured inside.
 */
export function measureColdStart(bundle: string, runs = 15, extraEnv: Record<string, string> = {}) {
  const env = { ...process.env, ...BUNDLE_ENV, ...extraEnv };
  const bare: number[] = [];
  const loaded: number[] = [];
  const inside: number[] = [];
  const probe = `const t = performance.now(); await import(${JSON.stringify(bundle)}); console.log(performance.now() - t);`;
  for (let i = 0; i < runs; i++) {
    bare.push(wallTimeMs(['-e', ''], env));
    loaded.push(wallTimeMs(['--input-type=module', '-e', `await import(${JSON.stringify(bundle)})`], env));
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
    inside.push(Number(run.stdout.trim()));
  }
  const bareP50 = summarize(bare).p50;
  const loadedP50 = summarize(loaded).p50;
  const source = readFileSync(bundle, 'utf8');
  return {
    bundleKiB: statSync(bundle).size / 1024,
    bareNodeMs: bareP50,
    withBundleMs: loadedP50,
    coldStartAboveBareMs: loadedP50 - bareP50,
    importInsideMs: summarize(inside).p50,
    azureInBundle: carriesAzureSdk(source),
  };
}
