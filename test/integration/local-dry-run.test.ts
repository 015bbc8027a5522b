import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ECS_ENV, Harness, scalrBody } from '../support/harness.js';
import { API_KEY, LocalStand, SECRET } from '../support/local-stand.js';

const exec = promisify(execFile);
const hasCurl = await exec('curl', ['--version']).then(
  () => true,
  () => false,
);

/** The curl command of the banner: from its `curl` line through the line that does not continue. */
function curlCommand(banner: string): string {
  const lines = banner.split('\n');
  const start = lines.findIndex((line) => line.startsWith('curl '));
  const end = lines.findIndex((line, index) => index >= start && !line.endsWith('\\'));
  return lines.slice(start, end + 1).join('\n');
}

describe('npm start with LAUNCH_TARGET=dry-run (the default)', () => {
  let stand: LocalStand | undefined;
  afterEach(async () => {
    await stand?.stop();
    stand = undefined;
  });

  it('generates the API key and webhook secret and prints them in the banner', async () => {
    stand = await new LocalStand().start({}, false);

    const { settings, local } = stand;

    expect(settings.target).toBe('dry-run');
    expect(settings.origins).toEqual({
      apiKey: 'generated',
      webhookSecret: 'generated',
      agentToken: 'dummy',
    });
    expect(local.banner).toContain(local.server.url);
    expect(local.banner).toContain(settings.apiKey);
    expect(local.banner).toContain(settings.env.WEBHOOK_SECRET);
    expect(local.banner).toMatch(/agent token\s+a dummy/);
  });

  it.skipIf(!hasCurl)('answers the printed curl command with 202 and dryRun true', async () => {
    stand = await new LocalStand().start({}, false);

    const { stdout } = await exec('sh', ['-c', curlCommand(stand.local.banner)], { timeout: 10_000 });

    expect(stdout).toMatch(/^HTTP\/1\.1 202/);
    expect(stdout).toContain('"dryRun":true');
    expect(stand.entries().some((entry) => entry.message === 'dry run: RunTask not sent')).toBe(true);
  });

  it('answers 202 with dryRun true and the same launch id for a repeated key', async () => {
    stand = await new LocalStand().start();

    const first = await stand.post(scalrBody('atask-d1'), { 'idempotency-key': 'atask-d1' });
    const again = await stand.post(scalrBody('atask-d1'), { 'idempotency-key': 'atask-d1' });

    expect(first.status).toBe(202);
    const a = (await first.json()) as Record<string, unknown>;
    const b = (await again.json()) as Record<string, unknown>;
    expect(a).toMatchObject({ status: 'accepted', platform: 'dry-run', dryRun: true, duplicate: false });
    expect(b).toMatchObject({ launchId: a.launchId, duplicate: true });
  });

  it('logs exactly the RunTask input the ECS target sends for the same webhook', async () => {
    const harness = await new Harness().start();
    try {
      const { WEBHOOK_SECRET_ARN: _w, AGENT_TOKEN_SECRET_ARN: _a, ...ecsSettings } = ECS_ENV;
      stand = await new LocalStand().start({ ...ecsSettings, LAUNCH_TARGET: 'dry-run' });
      const delivery = { body: scalrBody('atask-plan'), headers: { 'Idempotency-Key': 'atask-plan' } };

      await harness.deliver(delivery);
      await stand.post(delivery.body, { 'idempotency-key': 'atask-plan' });

      const plan = stand.entries().find((entry) => entry.message === 'dry run: RunTask not sent');
      expect(plan?.placeholders).toBe(false);
      expect(JSON.parse(String(plan?.runTaskInput))).toEqual(harness.standIn.tasks[0]?.input);
    } finally {
      await harness.stop();
    }
  });

  it('plans with placeholders, and says so, when no ECS_* variable is set', async () => {
    stand = await new LocalStand().start();

    const answer = (await (await stand.post(scalrBody('atask-p'))).json()) as Record<string, unknown>;

    expect(answer.placeholders).toBe(true);
    const plan = stand.entries().find((entry) => entry.message === 'dry run: RunTask not sent');
    expect(JSON.parse(String(plan?.runTaskInput)).cluster).toBe('PLACEHOLDER-set-ECS_CLUSTER');
  });

  it('answers 403 Forbidden like API Gateway when x-api-key is missing or wrong', async () => {
    stand = await new LocalStand().start();

    const missing = await stand.post(scalrBody('atask-k'), { 'x-api-key': undefined });
    const wrong = await stand.post(scalrBody('atask-k'), { 'x-api-key': `${API_KEY}x` });

    for (const answer of [missing, wrong]) {
      expect(answer.status).toBe(403);
      expect(await answer.json()).toEqual({ message: 'Forbidden' });
      expect(answer.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    }
    expect(stand.entries().filter((entry) => entry.message === 'launch accepted')).toHaveLength(0);
  });

  it('writes one log line per request, whoever answers it', async () => {
    stand = await new LocalStand().start();

    const answers = [
      await stand.post(scalrBody('atask-l1')),
      await stand.post(scalrBody('atask-l2'), { authorization: 'Bearer wrong' }),
      await stand.post(scalrBody('atask-l3'), { 'x-api-key': 'wrong' }),
      await stand.post(scalrBody('atask-l4'), { 'content-type': 'text/plain' }),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([202, 401, 403, 415]);
    for (const answer of answers) {
      const id = answer.headers.get('x-amzn-requestid');
      expect(stand.entries().filter((entry) => entry.requestId === id)).toHaveLength(1);
    }
  });

  it('keeps the webhook secret and the API key out of every log line and answer', async () => {
    stand = await new LocalStand().start();

    const bodies = [
      await (await stand.post(scalrBody('atask-s1'))).text(),
      await (await stand.post(scalrBody('atask-s2'), { authorization: 'Bearer nope' })).text(),
    ];

    for (const text of [...bodies, ...stand.logs]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(API_KEY);
    }
  });

  it('refuses to start, naming the variable, when the target is misconfigured', async () => {
    const start = new LocalStand().start({ ECS_CLUSTER: 'agents' });

    await expect(start).rejects.toThrow(/ECS_TASK_DEFINITION is not set/);
  });
});
