import { afterEach, describe, expect, it } from 'vitest';
import { tasksUrlFor } from '../../local/trigger/follow.js';
import type { TriggerOptions } from '../../local/trigger/trigger-args.js';
import { runTrigger } from '../../local/trigger/trigger-run.js';
import { DockerStandIn } from '../support/docker-stand-in.js';
import { API_KEY, LocalStand, SECRET } from '../support/local-stand.js';

const AGENT_TOKEN = 'agent-token-follow-5e2a';

describe('npm run trigger -- --follow against the local mode', () => {
  const stands: LocalStand[] = [];
  let docker: DockerStandIn | undefined;
  afterEach(async () => {
    await Promise.all(stands.splice(0).map((stand) => stand.stop()));
    await docker?.stop();
    docker = undefined;
  });

  const options = (url: string, timeoutSeconds: number): TriggerOptions => ({
    url,
    apiKey: API_KEY,
    secret: SECRET,
    action: 'plan',
    count: 1,
    concurrency: 1,
    timeoutMs: 5_000,
    follow: {
      tasksUrl: (id) => tasksUrlFor(url, id) as string,
      timeoutMs: timeoutSeconds * 1000,
      pollMs: 200,
    },
  });

  async function dockerStand() {
    docker = new DockerStandIn({ images: ['scalr/agent:latest'] });
    const host = await docker.start();
    const stand = await new LocalStand().start({
      LAUNCH_TARGET: 'docker',
      DOCKER_HOST: host,
      SCALR_URL: 'https://example.scalr.io',
      AGENT_TOKEN,
      LAUNCH_DEADLINE_MS: '3000',
    });
    stands.push(stand);
    return stand;
  }

  /** Lets the agent container run a moment, then exit with `code`, as the real agent does. */
  async function agentExits(code: number | 'removed') {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const running = [...(docker?.containers.values() ?? [])].find((c) => c.status === 'running');
      if (running) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (code === 'removed') docker?.exit(running.name);
        else docker?.finish(running.id, code);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no agent container started');
  }

  it('prints each step with the time since the webhook and exits 0 when the agent exits 0', async () => {
    const stand = await dockerStand();
    let out = '';

    const [code] = await Promise.all([
      runTrigger(options(stand.url, 10), { out: (t) => (out += t) }),
      agentExits(0),
    ]);

    expect(code).toBe(0);
    const steps = [...out.matchAll(/^ +[+-]\d+\.\ds {2}([A-Z]+)/gm)].map((m) => m[1]);
    expect(steps).toEqual(['RECEIVED', 'ACCEPTED', 'RUNNING', 'STOPPED']);
    expect(out).toContain('agent stopped: exit code 0');
    expect(out).not.toContain(AGENT_TOKEN);
  });

  it('exits 1 when the agent exits non-zero, showing the exit code', async () => {
    const stand = await dockerStand();
    let out = '';

    const [code] = await Promise.all([
      runTrigger(options(stand.url, 10), { out: (t) => (out += t) }),
      agentExits(3),
    ]);

    expect(code).toBe(1);
    expect(out).toContain('agent stopped: exit code 3');
  });

  it('reports STOPPED with an unknown exit code when AutoRemove deleted the container first', async () => {
    const stand = await dockerStand();
    let out = '';

    const [code] = await Promise.all([
      runTrigger(options(stand.url, 10), { out: (t) => (out += t) }),
      agentExits('removed'),
    ]);

    expect(code).toBe(0);
    expect(out).toContain('agent stopped: exit code unknown (ContainerRemoved');
  });

  it('says at once that a dry run starts no agent and exits 0 after ACCEPTED, without waiting for --timeout', async () => {
    const stand = await new LocalStand().start();
    stands.push(stand);
    let out = '';
    const started = Date.now();

    const code = await runTrigger(options(stand.url, 600), { out: (t) => (out += t) });

    expect(code).toBe(0);
    expect(out).toContain('dry run: no agent is started, so no RUNNING will follow');
    expect(out).toMatch(/RECEIVED\n.*ACCEPTED/s);
    expect(out).not.toContain('not RUNNING');
    // Far below the 600 s timeout: it stopped at ACCEPTED (bounded, not a timing assertion).
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('GET /tasks/{taskId} of the local mode needs the API key and the secret, and answers 404 for an unknown task', async () => {
    const stand = await new LocalStand().start();
    stands.push(stand);
    const url = tasksUrlFor(stand.url, 'atask-never-seen') as string;

    const noKey = await fetch(url, { headers: { authorization: `Bearer ${SECRET}` } });
    const noSecret = await fetch(url, { headers: { 'x-api-key': API_KEY } });
    const unknown = await fetch(url, {
      headers: { 'x-api-key': API_KEY, authorization: `Bearer ${SECRET}` },
    });

    expect(noKey.status).toBe(403);
    expect(noSecret.status).toBe(401);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });
});
