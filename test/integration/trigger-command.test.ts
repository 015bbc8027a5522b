import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriggerOptions } from '../../local/trigger/trigger-args.js';
import { triggerCommand } from '../../local/trigger/trigger-command.js';
import { runTrigger } from '../../local/trigger/trigger-run.js';
import { API_KEY, CHILD_TIMEOUT_MS, LocalStand, runChild, SECRET } from '../support/local-stand.js';

const TSX = 'node_modules/.bin/tsx';
/** The server child's start, then a trigger run, each allowed CHILD_TIMEOUT_MS: room for a loaded machine. */
const CHILDREN_TIMEOUT_MS = 2 * CHILD_TIMEOUT_MS + 10_000;

/**
 * The command (all of trigger-main.ts but the process wiring) in this process, with the process's
 * environment; the child-process test below proves the entry runs it.
 */
async function trigger(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await triggerCommand(args, process.env, {
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('the trigger command against the local server', () => {
  let stand: LocalStand;
  beforeAll(async () => {
    stand = await new LocalStand().start();
  });
  afterAll(() => stand.stop());

  const options = (extra: Partial<TriggerOptions> = {}): TriggerOptions => ({
    url: stand.url,
    apiKey: API_KEY,
    secret: SECRET,
    action: 'plan',
    count: 1,
    concurrency: 1,
    // The CLI's default: a guard against a hung server, far above a loaded machine's answer times.
    timeoutMs: 30_000,
    ...extra,
  });

  it('prints status, launch id and round-trip time, and exits 0 when accepted', async () => {
    let out = '';

    const code = await runTrigger(options(), { out: (text) => (out += text) });

    expect(code).toBe(0);
    expect(out).toMatch(
      /^202 {2}launch dry-run:scalr-[0-9a-f]{30} {2}task atask-trigger-[0-9a-f]{16} {2}\d+\.\d ms\n$/,
    );
  });

  it('sends a burst with a new task per request and summarizes it', async () => {
    let out = '';

    const code = await runTrigger(options({ count: 40, concurrency: 4 }), { out: (text) => (out += text) });

    expect(code).toBe(0);
    expect(out).toContain('sent 40, accepted 40 (0 duplicate), failed 0\n');
    expect(out).toMatch(/latency p50 \d+\.\d ms, p95 \d+\.\d ms, max \d+\.\d ms\n$/);
  });

  it('launches once for a burst that repeats one task id', async () => {
    let out = '';
    const before = stand.entries().filter((entry) => entry.outcome === 'launched').length;

    await runTrigger(options({ count: 10, concurrency: 5, taskId: 'atask-burst' }), {
      out: (text) => (out += text),
    });

    const launched = stand.entries().filter((entry) => entry.outcome === 'launched').length - before;
    expect(launched).toBe(1);
    expect(out).toContain('sent 10, accepted 10 (9 duplicate), failed 0');
  });

  it('exits 1 and counts failures by status when the secret is wrong', async () => {
    let out = '';

    const code = await runTrigger(options({ count: 3, secret: 'wrong' }), { out: (text) => (out += text) });

    expect(code).toBe(1);
    expect(out).toContain('failed 3 (401: 3)');
    expect(out).toContain('Missing or invalid credentials');
  });

  it('runs as a child process through the npx entry: exit 1 on a wrong API key (and 0 with the right one)', {
    timeout: CHILD_TIMEOUT_MS + 10_000,
  }, async () => {
    const args = ['--url', stand.url, '--secret', SECRET];

    const [good, bad] = await Promise.all([
      trigger([...args, '--api-key', API_KEY]),
      runChild('node', ['local/trigger-bin.mjs', ...args, '--api-key', 'wrong']),
    ]);

    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^202 {2}launch dry-run:/);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^403 {2}Forbidden/);
  });

  it('exits 2 with a message naming the option on bad usage, and 0 on --help', async () => {
    const bad = await trigger(['--secret', 's', '--count', '0']);
    const help = await trigger(['--help']);

    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--count is "0": expected a whole number from 1 to 10000');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run trigger -- [options]');
  });
});

describe('npm start and npm run trigger as a newcomer runs them', () => {
  it('starts, gets a 202 from the printed trigger command, and stops cleanly on SIGTERM', {
    timeout: CHILDREN_TIMEOUT_MS,
  }, async () => {
    const server = spawn(TSX, ['local/server-main.ts'], {
      env: { ...process.env, PORT: '0', LAUNCH_TARGET: '', API_KEY: '', WEBHOOK_SECRET: '', AGENT_TOKEN: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Outlives the trigger run below: a guard against a hung server only.
      timeout: CHILDREN_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
    // Ready when the banner's last line is out (however long a busy machine takes), or never.
    const ready = new Promise<void>((resolve, reject) => {
      server.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('Stop with Ctrl+C')) resolve();
      });
      exited.then((code) => reject(new Error(`server exited (${code}) before its banner:\n${stderr}`)));
    });
    try {
      await ready;
      const command = /^npm run trigger -- (.+)$/m.exec(stderr)?.[1];
      expect(command).toBeDefined();
      const args = [...(command ?? '').matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');

      const run = await trigger(args);

      expect(run, run.stderr).toMatchObject({ code: 0 });
      expect(run.stdout).toMatch(/^202 {2}launch dry-run:/);
      expect(stdout).toContain('"message":"dry run: RunTask not sent"');
    } finally {
      server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('"message":"stopped"');
  });
});
