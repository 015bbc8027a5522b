import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACA_ENV } from '../support/aca-env.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ECS_BUNDLE = `${ROOT}dist/ecs/handler.mjs`;
const ACA_BUNDLE = `${ROOT}dist/aca/handler.mjs`;

const BASE_ENV = {
  PATH: process.env.PATH ?? '',
  WEBHOOK_SECRET: 'bundle-test-secret',
  AGENT_TOKEN: 'bundle-test-token',
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Imports a copy of a bundle outside the project (no node_modules to fall back on, as in Lambda) in
 * a fresh node whose init awaits the launcher; returns its log lines.
 */
async function initLogs(bundle: string, env: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    const copy = join(dir, 'index.mjs');
    copyFileSync(bundle, copy);
    const script = `await import(${JSON.stringify(copy)})`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...BASE_ENV, ...env },
      cwd: dir,
      timeout: 20_000,
    });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Lambda bundles built by scripts/build-lambda.ts', () => {
  beforeAll(async () => {
    const tsx = `${ROOT}node_modules/.bin/tsx`;
    await Promise.all(
      ['ecs', 'aca'].map((target) =>
        run(tsx, ['scripts/build-lambda.ts', target], { cwd: ROOT, timeout: 60_000 }),
      ),
    );
  });

  it('keeps the Azure SDK and the ACA launcher out of the ECS bundle', () => {
    const source = readFileSync(ECS_BUNDLE, 'utf8');

    expect(source).not.toMatch(/from\s*["']@azure\//);
    expect(source).not.toContain('azsdk-js-arm-appcontainers');
  });

  it('answers "not in this bundle" when the ECS bundle runs with LAUNCH_TARGET=aca', async () => {
    const logs = await initLogs(ECS_BUNDLE, { LAUNCH_TARGET: 'aca' });

    expect(logs).toContain('LAUNCH_TARGET=aca is not in this bundle');
  });

  it('builds the ACA launcher from the ACA bundle alone', async () => {
    const source = readFileSync(ACA_BUNDLE, 'utf8');
    const logs = await initLogs(ACA_BUNDLE, ACA_ENV);

    expect(source).toContain('azsdk-js-arm-appcontainers');
    expect(source).not.toMatch(/from\s*["']@azure\//);
    expect(logs).not.toContain('"level":"error"');
  });
});
