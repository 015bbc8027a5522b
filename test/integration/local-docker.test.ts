import { afterEach, describe, expect, it } from 'vitest';
import { DockerStandIn, type DockerStandInOptions } from '../support/docker-stand-in.js';
import { scalrBody } from '../support/harness.js';
import { LocalStand } from '../support/local-stand.js';

const AGENT_TOKEN = 'agent-token-docker-test-91c4e7';

describe('npm start with LAUNCH_TARGET=docker, against a Docker Engine API stand-in', () => {
  let docker: DockerStandIn;
  const stands: LocalStand[] = [];
  afterEach(async () => {
    await Promise.all(stands.splice(0).map((stand) => stand.stop()));
    await docker.stop();
  });

  async function start(options: DockerStandInOptions = {}, env: Record<string, string> = {}, tcp = false) {
    docker = new DockerStandIn(options);
    const host = await docker.start({ tcp });
    const stand = await new LocalStand().start({
      LAUNCH_TARGET: 'docker',
      DOCKER_HOST: host,
      SCALR_URL: 'https://example.scalr.io',
      AGENT_TOKEN,
      LAUNCH_DEADLINE_MS: '3000',
      ...env,
    });
    stands.push(stand);
    return stand;
  }

  it('pulls the missing image, then creates and starts one container with the agent environment', async () => {
    const stand = await start();

    const answer = await stand.post(scalrBody('atask-c1'), { 'idempotency-key': 'atask-c1' });

    expect(answer.status).toBe(202);
    const container = docker.containers.get('scalr-agent-atask-c1');
    expect(await answer.json()).toMatchObject({
      platform: 'docker',
      launchId: container?.id,
      duplicate: false,
    });
    expect(docker.calls.pull).toBe(1);
    expect(container?.status).toBe('running');
    expect(container?.spec.Image).toBe('scalr/agent:latest');
    expect(container?.spec.HostConfig).toEqual({ AutoRemove: true });
    expect(container?.spec.Env).toEqual(
      expect.arrayContaining([
        'SCALR_URL=https://example.scalr.io',
        `SCALR_AGENT_TOKEN=${AGENT_TOKEN}`,
        'SCALR_AGENT_SINGLE=true',
        'SCALR_AGENT_DRIVER=local',
        'DISPATCH_TASK_ID=atask-c1',
        'DISPATCH_RUN_ID=run-v0abc123',
      ]),
    );
    expect(container?.spec.Labels).toMatchObject({
      'scalr.task-id': 'atask-c1',
      'scalr.run-id': 'run-v0abc123',
      'dispatcher.dedup-key': 'atask-c1',
    });
  });

  it('reaches an engine on tcp:// as well as on a unix socket', async () => {
    const stand = await start({}, {}, true);

    const answer = await stand.post(scalrBody('atask-tcp'));

    expect(stand.settings.env.DOCKER_HOST).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(answer.status).toBe(202);
    expect(docker.containers.get('scalr-agent-atask-tcp')?.status).toBe('running');
  });

  it('does not pull an image the engine already has', async () => {
    const stand = await start({ images: ['scalr/agent:latest'] });

    const answer = await stand.post(scalrBody('atask-c2'));

    expect(answer.status).toBe(202);
    expect(docker.calls.pull).toBe(0);
  });

  it('starts no second container for a re-delivered task, even in a freshly started dispatcher', async () => {
    const stand = await start();
    const restarted = await new LocalStand().start({ ...stand.settings.env, PORT: '0' } as Record<
      string,
      string
    >);
    stands.push(restarted);

    const first = await stand.post(scalrBody('atask-c3'), { 'idempotency-key': 'atask-c3' });
    const again = await restarted.post(scalrBody('atask-c3'), { 'idempotency-key': 'atask-c3' });

    expect([first.status, again.status]).toEqual([202, 202]);
    const [a, b] = [
      (await first.json()) as { launchId: string },
      (await again.json()) as { launchId: string },
    ];
    expect(b).toMatchObject({ launchId: a.launchId, duplicate: true });
    expect(docker.containers.size).toBe(1);
    expect(docker.calls.start).toBe(1);
  });

  it('starts the container an interrupted attempt created but could not start', async () => {
    const stand = await start({
      faultFor: (operation, n) => (operation === 'start' && n === 1 ? 500 : undefined),
    });

    const answer = await stand.post(scalrBody('atask-c4'));

    expect(answer.status).toBe(202);
    expect(docker.calls.create).toBe(2);
    expect(docker.containers.get('scalr-agent-atask-c4')?.status).toBe('running');
  });

  it('answers 500 naming the image and DOCKER_IMAGE when the pull is refused', async () => {
    const stand = await start({ pullable: () => false }, { DOCKER_IMAGE: 'example/missing:1.0' });

    const answer = await stand.post(scalrBody('atask-c5'));

    expect(answer.status).toBe(500);
    const body = (await answer.json()) as { error: { message: string } };
    expect(body.error.message).toContain(
      'Docker cannot pull example/missing:1.0 (DOCKER_IMAGE): pull access denied',
    );
    expect(docker.calls.pull).toBe(1);
    expect(docker.containers.size).toBe(0);
  });

  it('answers 503 with Retry-After saying plainly that no Docker engine answered', async () => {
    const stand = await start({}, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });

    const answer = await stand.post(scalrBody('atask-c6'));

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    const body = (await answer.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(
      /^No Docker engine answered at unix:\/\/\/nonexistent\/docker\.sock \(ENOENT\): it is stopped or restarting/,
    );
  });

  it('answers 503 with Retry-After when the engine keeps failing until the deadline', async () => {
    const stand = await start(
      { faultFor: (operation) => (operation === 'create' ? 500 : undefined) },
      {
        LAUNCH_DEADLINE_MS: '1000',
      },
    );

    const answer = await stand.post(scalrBody('atask-c7'));

    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('5');
    expect(docker.containers.size).toBe(0);
  });

  it('keeps the agent token out of answers and log lines', async () => {
    const stand = await start();

    const texts = [
      await (await stand.post(scalrBody('atask-c8'))).text(),
      await (await stand.post(scalrBody('atask-c8'))).text(),
    ];

    expect(docker.containers.size).toBe(1);
    for (const text of [...texts, ...stand.logs]) expect(text).not.toContain(AGENT_TOKEN);
  });
});
