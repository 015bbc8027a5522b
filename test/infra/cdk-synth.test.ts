import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

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

  it('synthesizes the Azure Container Apps variant offline, without ECS resources', {
    timeout: 200_000,
  }, async () => {
    const outdir = tempDir();

    const result = await synth(
      outdir,
      ...['-c', 'target=aca', '-c', 'stackName=ScalrPoolAzure'],
      ...['-c', 'acaSubscriptionId=00000000-0000-4000-8000-000000000001'],
      ...['-c', 'acaResourceGroup=rg-scalr-agents', '-c', 'acaJobName=scalr-agent'],
      ...['-c', 'azureTenantId=00000000-0000-4000-8000-000000000002'],
      ...['-c', 'azureClientId=00000000-0000-4000-8000-000000000003'],
    );

    expect(result.output).not.toMatch(/AwsSolutions-\w+/);
    expect(result.ok, result.output).toBe(true);
    const template = JSON.parse(readFileSync(join(outdir, 'ScalrPoolAzure.template.json'), 'utf8')) as {
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
    expect(readFileSync(join(outdir, 'manifest.json'), 'utf8')).not.toContain('missing');
  });

  it('fails naming the missing Azure keys for target=aca', { timeout: 200_000 }, async () => {
    const result = await synth(tempDir(), '-c', 'target=aca', '-c', 'acaJobName=scalr-agent');

    expect(result.ok).toBe(false);
    expect(result.output).toContain('acaSubscriptionId is empty');
    expect(result.output).toContain('acaResourceGroup is empty');
    expect(result.output).not.toContain('acaJobName');
  });

  it('fails with a message naming the key when a context value is wrong', { timeout: 200_000 }, async () => {
    const result = await synth(tempDir(), '-c', 'capacity=SPOT', '-c', 'agentMemoryMiB=1000');

    expect(result.ok).toBe(false);
    expect(result.output).toContain('Invalid CDK context');
    expect(result.output).toContain(
      'capacity is "SPOT": expected one of FARGATE, FARGATE_SPOT, FARGATE_SPOT_THEN_FARGATE',
    );
    expect(result.output).toContain('agentMemoryMiB is 1000: Fargate does not allow it with agentCpu 2048');
  });
});
