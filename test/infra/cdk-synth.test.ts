import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { synthFromContext } from '../../bin/synth-app.js';
import { ACA_CONTEXT, SKIP_BUNDLING } from './stack-fixture.js';

const run = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CDK_CLI = join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');

/** Environment of a fresh clone on a laptop without AWS: no credentials, no profile, no IMDS. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
}

async function synth(outdir: string, ...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(CDK_CLI, ['synth', '--quiet', '-o', outdir, ...args], {
      cwd: PROJECT_ROOT,
      env: offlineEnv(),
      timeout: 180_000,
    });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('npx cdk synth through the real CLI, offline', () => {
  const outdirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
    outdirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes the default stack without credentials, lookups or Docker', {
    timeout: 200_000,
  }, async () => {
    const outdir = tempDir();

    const result = await synth(outdir);

    expect(result.output).not.toMatch(/AwsSolutions-\w+/);
    // The CLI's environment has no CDK_VALIDATION (see offlineEnv): aws-cdk-lib's built-in
    // CloudFormation validation runs, as for a user, and finds nothing.
    expect(result.output).not.toMatch(/Template validation found issues|CloudFormation Validate/);
    expect(result.ok, result.output).toBe(true);
    const templatePath = join(outdir, 'ScalrAgentDispatcher.template.json');
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
      Resources: Record<string, { Type: string }>;
    };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(
      expect.arrayContaining([
        'AWS::ApiGateway::RestApi',
        'AWS::Lambda::Function',
        'AWS::ECS::TaskDefinition',
      ]),
    );
    expect(readFileSync(join(outdir, 'manifest.json'), 'utf8')).not.toContain('missing');
  });
});

/** `cdk.json`'s context, which the CLI passes to the app under the `-c` values. */
const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * The rest of what `cdk synth` does, without a CLI run each (a run loads the CLI, tsx, aws-cdk-lib and
 * cdk-nag anew, and bundles: most of this file's time): the code `bin/app.ts` runs
 * ({@link synthFromContext}) on `cdk.json`'s context plus the `-c` values, in this process. The real CLI
 * above proves the command itself works offline; `bin/app.ts` only exits 1 when this gives `undefined`.
 * No bundling here: the Azure bundle is built and read in aca-stack.test.ts (`bundle: true`).
 */
describe('cdk synth as bin/app.ts runs it, with -c values', () => {
  /** `validate`: aws-cdk-lib's CloudFormation validation, which the test config turns off elsewhere. */
  function synth(values: Record<string, string>, validate = false) {
    const messages: string[] = [];
    const validation = process.env.CDK_VALIDATION;
    if (validate) delete process.env.CDK_VALIDATION;
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const logged = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
      inProcessOutdirs.push(outdir);
      const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING, ...values } });
      const assembly = synthFromContext(app, (message) => messages.push(message));
      const lines = [printed, logged, warned].flatMap((spy) => spy.mock.calls.map((call) => call.join(' ')));
      return { assembly, output: [...messages, ...lines].join('\n') };
    } finally {
      for (const spy of [printed, logged, warned]) spy.mockRestore();
      if (validation !== undefined) process.env.CDK_VALIDATION = validation;
    }
  }
  const inProcessOutdirs: string[] = [];
  afterAll(() => {
    for (const dir of inProcessOutdirs) rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes the Azure Container Apps variant offline, without ECS resources', () => {
    const { assembly, output } = synth({ ...ACA_CONTEXT }, true);

    expect(output).not.toMatch(/AwsSolutions-\w+/);
    expect(output).not.toMatch(/Template validation found issues|CloudFormation Validate/);
    expect(assembly, output).toBeDefined();
    const template = assembly?.getStackByName('ScalrPoolAzure').template as {
      Resources: Record<string, { Type: string }>;
      Outputs: Record<string, unknown>;
    };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types).toEqual(
      expect.arrayContaining(['AWS::ApiGateway::RestApi', 'AWS::Lambda::Function', 'AWS::DynamoDB::Table']),
    );
    expect(types.filter((type) => type.startsWith('AWS::ECS::') || type.startsWith('AWS::EC2::'))).toEqual(
      [],
    );
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining([
        'AzureFederatedCredentialSubject',
        'GetAzureFederatedCredentialIssuerCommand',
        'LedgerTableName',
      ]),
    );
    expect(readFileSync(join(assembly?.directory ?? '', 'manifest.json'), 'utf8')).not.toContain('missing');
  });

  it('fails naming the missing Azure keys for target=aca', () => {
    const { assembly, output } = synth({ target: 'aca', acaJobName: 'scalr-agent' });

    expect(assembly).toBeUndefined();
    expect(output).toContain('acaSubscriptionId is empty');
    expect(output).toContain('acaResourceGroup is empty');
    expect(output).not.toContain('acaJobName');
  });

  it('fails with a message naming the key when a context value is wrong', () => {
    const { assembly, output } = synth({ capacity: 'SPOT', agentMemoryMiB: '1000' });

    expect(assembly).toBeUndefined();
    expect(output).toContain('Invalid CDK context');
    expect(output).toContain(
      'capacity is "SPOT": expected one of FARGATE, FARGATE_SPOT, FARGATE_SPOT_THEN_FARGATE',
    );
    expect(output).toContain('agentMemoryMiB is 1000: Fargate does not allow it with agentCpu 2048');
  });
});
