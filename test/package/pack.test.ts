import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLock, type Lockfile } from './consumer-lock.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CHECK_CONSUMER = join(ROOT, 'test', 'package', 'typecheck-consumer.mjs');

/** No credentials, no profile, no metadata service: synth must not need AWS. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(AWS_|CDK_|NODE_PATH)/.test(key)),
  );
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // aws-cdk-lib's CloudFormation validation (seconds of WASM start-up) proves the templates, not the
    // package: test/infra/cdk-synth.test.ts runs it.
    CDK_VALIDATION: 'false',
  };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
interface Synthesized {
  readonly Resources: Resources;
}

function ofType(template: Synthesized, type: string) {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}

/** The dispatcher function: the one with WEBHOOK_SECRET_ARN. */
function dispatcherFunction(template: Synthesized) {
  const found = ofType(template, 'AWS::Lambda::Function').filter((fn) =>
    JSON.stringify(fn.Properties.Environment ?? {}).includes('WEBHOOK_SECRET_ARN'),
  );
  expect(found).toHaveLength(1);
  return found[0]?.Properties as {
    Handler: string;
    Environment: { Variables: Record<string, unknown> };
    Code: { S3Key: string };
  };
}

/**
 * A file's SHA-256, to compare bundles of hundreds of KiB: `toEqual` on two Buffers compares them
 * byte by byte through the matcher and took over 30 s on a busy machine.
 */
function digest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const TYPED_CONSUMER = `import { App, Stack } from 'aws-cdk-lib';
import { AgentDispatcher, type AgentDispatcherProps } from 'agent-dispatcher';
const props: AgentDispatcherProps = { capacity: 'FARGATE_SPOT', agentCpu: 1024, allowedSourceIps: ['203.0.113.10'] };
const pool: AgentDispatcher = new AgentDispatcher(new Stack(new App(), 'Typed'), 'Pool', props);
export const url: string = pool.webhookUrl;
`;

/**
 * npm pack -> npm ci of the tarball in a fresh CDK app (offline, from the local npm cache) -> a
 * consumer's app synthesizes with the prebuilt bundles, without esbuild and without this project's
 * TypeScript sources.
 */
describe('the packed npm package in a consumer CDK app', () => {
  let work: string;
  let consumer: string;
  let bundle: string;
  let templates: Record<string, Synthesized>;
  let outdir: string;
  let name: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'agent-dispatcher-pack-'));
    const stage = join(work, 'stage');
    consumer = join(work, 'consumer');
    mkdirSync(join(stage, 'docs'), { recursive: true });
    mkdirSync(consumer);

    // Built into a staging copy, so the repository's dist/ (used by the bundle tests) is left alone.
    await run(TSX, [join(ROOT, 'scripts/build-package.ts'), join(stage, 'dist')], {
      cwd: ROOT,
      timeout: 240_000,
    });
    const docs = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md'));
    for (const file of ['package.json', 'README.md', ...docs.map((doc) => `docs/${doc}`)]) {
      copyFileSync(join(ROOT, file), join(stage, file));
    }
    const { stdout } = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', consumer],
      {
        cwd: stage,
        timeout: 60_000,
      },
    );
    const [packed] = JSON.parse(stdout) as { filename: string; version: string; name: string }[];
    if (!packed) throw new Error('npm pack reported no tarball');
    name = packed.name;
    const tarball = readFileSync(join(consumer, packed.filename));

    const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
    const version = (name: string) => repoLock.packages[`node_modules/${name}`]?.version ?? '';
    const dependencies = {
      [packed.name]: `file:${packed.filename}`,
      'aws-cdk-lib': version('aws-cdk-lib'),
      constructs: version('constructs'),
    };
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }),
    );
    const lock = consumerLock(
      repoLock,
      { name: 'consumer', dependencies },
      {
        [`node_modules/${packed.name}`]: {
          version: packed.version,
          resolved: `file:${packed.filename}`,
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
          // What the library imports at synth time (valibot, for the context checks) comes along.
          ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
          peerDependencies: manifest.peerDependencies,
        },
      },
    );
    writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(lock, null, 2));
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: consumer,
      timeout: 180_000,
    });

    bundle = join(consumer, 'node_modules', packed.name, 'dist', 'ecs', 'handler.mjs');
    copyFileSync(join(ROOT, 'test/package/consumer-app.mjs'), join(consumer, 'app.mjs'));
    outdir = join(consumer, 'cdk.out');
    await run(process.execPath, ['app.mjs', outdir], { cwd: consumer, env: offlineEnv(), timeout: 120_000 });
    templates = Object.fromEntries(
      ['Defaults', 'Existing'].map((name) => [
        name,
        JSON.parse(readFileSync(join(outdir, `${name}.template.json`), 'utf8')) as Synthesized,
      ]),
    );
  }, 480_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs without esbuild and without TypeScript sources of this project', async () => {
    const probe = "import('esbuild').then(() => console.log('found'), () => console.log('missing'))";
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: consumer });

    expect(stdout.trim()).toBe('missing');
    const files = readdirSync(join(consumer, 'node_modules', 'agent-dispatcher'), { recursive: true }).map(
      String,
    );
    expect(files).toContain(join('dist', 'lib', 'index.js'));
    // The Scalr registration's prebuilt bundle, for a consumer that turns it on.
    expect(files).toContain(join('dist', 'scalr-registration', 'handler.mjs'));
    // docs/library.md links to the other pages: they ship with it.
    expect(files).toEqual(expect.arrayContaining([join('docs', 'library.md'), join('docs', 'deploy.md')]));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('synthesizes the API, the function from the prebuilt bundle and the agent task definition with no props', () => {
    const template = templates.Defaults as Synthesized;

    expect(ofType(template, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    expect(ofType(template, 'AWS::ECS::TaskDefinition')).toHaveLength(1);
    const fn = dispatcherFunction(template);
    expect(fn.Handler).toBe('handler.handler');
    const assetDir = join(outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`);
    expect(digest(join(assetDir, 'handler.mjs'))).toBe(digest(bundle));
    expect(ofType(template, 'AWS::EC2::VPC')).toHaveLength(1);
    // The task trail's consumer comes from its own prebuilt bundle too.
    const consumers = ofType(template, 'AWS::Lambda::Function').filter((f) =>
      JSON.stringify(f.Properties.Environment ?? {}).includes('NOT_RUNNING_AFTER_MINUTES'),
    );
    expect(consumers).toHaveLength(1);
    const consumerKey =
      (consumers[0]?.Properties as { Code?: { S3Key: string } } | undefined)?.Code?.S3Key ?? '';
    const consumerAsset = join(outdir, `asset.${consumerKey.replace(/\.zip$/, '')}`, 'handler.mjs');
    expect(digest(consumerAsset)).toBe(digest(bundle.replace(/ecs(.)handler\.mjs$/, 'trail$1handler.mjs')));
  });

  it("runs the agents in the consumer's VPC and alarms to the consumer's topic", () => {
    const template = templates.Existing as Synthesized;

    // The consumer's VPC only, its private subnets for the tasks, no public IP.
    expect(ofType(template, 'AWS::EC2::VPC')).toHaveLength(1);
    const env = dispatcherFunction(template).Environment.Variables;
    expect(JSON.stringify(env.ECS_SUBNETS)).toContain('TeamVpcPrivateSubnet1');
    expect(env.ECS_ASSIGN_PUBLIC_IP).toBe('DISABLED');
    const topicId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::SNS::Topic')?.[0];
    expect(ofType(template, 'AWS::SNS::Topic')).toHaveLength(1);
    const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    const taskDefinition = ofType(template, 'AWS::ECS::TaskDefinition')[0]?.Properties;
    expect(taskDefinition).toMatchObject({ Cpu: '1024', Memory: '2048' });
  });

  // As long as the check itself may take (its run's timeout below), plus room.
  it('type-checks a TypeScript consumer against the packed declarations', { timeout: 150_000 }, async () => {
    writeFileSync(join(consumer, 'typed.ts'), TYPED_CONSUMER);

    // tsc's program and checks for the consumer and the package's declarations; see the script.
    const { stdout } = await run(
      process.execPath,
      [CHECK_CONSUMER, join(ROOT, 'node_modules', 'typescript'), join(ROOT, 'node_modules', '@types'), name],
      { cwd: consumer, timeout: 120_000 },
    );
    const { checked, diagnostics } = JSON.parse(stdout) as { checked: string[]; diagnostics: string };

    expect(diagnostics).toBe('');
    expect(checked).toEqual(
      expect.arrayContaining([
        join('dist', 'lib', 'index.d.ts'),
        join('dist', 'lib', 'agent-dispatcher.d.ts'),
      ]),
    );
  });
});
