import { afterEach, describe, expect, it } from 'vitest';
import {
  DAEMON_RESTARTING,
  DockerStandIn,
  type DockerStandInOptions,
  MANIFEST_UNKNOWN,
  REGISTRY_UNREACHABLE,
} from '../support/docker-stand-in.js';
import { scalrBody } from '../support/harness.js';
import { LocalStand } from '../support/local-stand.js';

interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Bound on an answer that must not wait on the failing engine or registry: 4 s above the 1 s deadlines
 * set where a hang must be cut off (the hang itself never ends), and half the 10 s and 20 s deadlines
 * set where the answer must come at once. Generous on purpose, for a machine busy with other work.
 */
const PROMPT_MS = 5_000;

describe('LAUNCH_TARGET=docker when the engine or the registry fails', () => {
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
      AGENT_TOKEN: 'agent-token-docker-faults-5e2a',
      LAUNCH_DEADLINE_MS: '3000',
      ...env,
    });
    stands.push(stand);
    return stand;
  }

  /** Posts one webhook; the answer with its body and how long it took. */
  async function post(stand: LocalStand, key: string) {
    const started = Date.now();
    const answer = await stand.post(scalrBody(key), { 'idempotency-key': key });
    const body = (await answer.json()) as ErrorBody & { launchId?: string; duplicate?: boolean };
    return { answer, body, elapsedMs: Date.now() - started };
  }

  describe('engine', () => {
    it('answers 503 with Retry-After at once when the engine is stopped (its socket is gone)', async () => {
      const stand = await start({}, { LAUNCH_DEADLINE_MS: '10000' });
      await docker.down();

      const { answer, body, elapsedMs } = await post(stand, 'atask-f1');

      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(body.error.code).toBe('temporarily_unavailable');
      expect(body.error.message).toMatch(
        /^No Docker engine answered at unix:\/\/.+ \(ENOENT\): it is stopped/,
      );
      expect(elapsedMs).toBeLessThan(PROMPT_MS);
    });

    it('answers 503 while the engine refuses connections, and launches once when it is back', async () => {
      const stand = await start({}, {}, true);
      await docker.down();

      const down = await post(stand, 'atask-f2');
      await docker.up();
      const back = await post(stand, 'atask-f2');
      const again = await post(stand, 'atask-f2');

      expect(down.answer.status).toBe(503);
      expect(down.body.error.message).toContain('(ECONNREFUSED)');
      expect([back.answer.status, again.answer.status]).toEqual([202, 202]);
      expect(again.body).toMatchObject({ launchId: back.body.launchId, duplicate: true });
      expect(docker.containers.size).toBe(1);
    });

    it('answers 503 with Retry-After, within the deadline, while the engine says it is restarting', async () => {
      const stand = await start(
        {
          images: ['scalr/agent:latest'],
          faultFor: (op) => (op === 'create' ? DAEMON_RESTARTING : undefined),
        },
        { LAUNCH_DEADLINE_MS: '1000' },
      );

      const { answer, body, elapsedMs } = await post(stand, 'atask-f3');

      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(body.error.message).toContain('daemon is restarting');
      expect(elapsedMs).toBeLessThan(PROMPT_MS);
      expect(docker.calls.create).toBeGreaterThan(1);
    });

    it('does not let a hung engine hold the request past its deadline', async () => {
      const stand = await start(
        { images: ['scalr/agent:latest'], faultFor: (op) => (op === 'create' ? 'hang' : undefined) },
        { LAUNCH_DEADLINE_MS: '1000' },
      );

      const { answer, elapsedMs } = await post(stand, 'atask-f4');

      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(elapsedMs).toBeLessThan(PROMPT_MS);
    });

    it('retries a call the engine dropped mid-launch and starts exactly one container', async () => {
      const stand = await start({ faultFor: (op, n) => (op === 'start' && n === 1 ? 'reset' : undefined) });

      const { answer, body } = await post(stand, 'atask-f5');

      expect(answer.status).toBe(202);
      expect(body).toMatchObject({ duplicate: false });
      expect(docker.containers.size).toBe(1);
      expect(docker.containers.get('scalr-agent-atask-f5')?.status).toBe('running');
      expect(docker.calls).toMatchObject({ pull: 1, create: 2, start: 2 });
    });
  });

  describe('image pull', () => {
    it('answers 503 with Retry-After after a single pull when the registry is unreachable', async () => {
      // The default deadline of 20 s used to leave room for 28 pulls of this image in one request.
      const stand = await start(
        { faultFor: (op) => (op === 'pull' ? REGISTRY_UNREACHABLE : undefined) },
        { LAUNCH_DEADLINE_MS: '20000' },
      );

      const { answer, body, elapsedMs } = await post(stand, 'atask-f6');

      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(body.error.message).toContain('could not get the image: pulling scalr/agent:latest failed');
      expect(docker.calls.pull).toBe(1);
      expect(docker.calls.create).toBe(0);
      expect(elapsedMs).toBeLessThan(PROMPT_MS);
    });

    it('answers 503 after a single pull when the registry fails mid-pull', async () => {
      const stand = await start(
        { pullStreamError: () => 'net/http: TLS handshake timeout' },
        { LAUNCH_DEADLINE_MS: '20000' },
      );

      const { answer } = await post(stand, 'atask-f7');

      expect(answer.status).toBe(503);
      expect(docker.calls.pull).toBe(1);
    });

    it('cuts off a pull that does not finish at the deadline, and pulls once', async () => {
      const stand = await start(
        { faultFor: (op) => (op === 'pull' ? 'stall' : undefined) },
        { LAUNCH_DEADLINE_MS: '1000' },
      );

      const { answer, body, elapsedMs } = await post(stand, 'atask-f8');

      expect(answer.status).toBe(503);
      expect(body.error.message).toContain('did not finish before the launch deadline');
      expect(elapsedMs).toBeLessThan(PROMPT_MS);
      expect(docker.calls.pull).toBe(1);
    });

    it('answers 500 naming the image, DOCKER_IMAGE and what to do when the image does not exist', async () => {
      const stand = await start(
        { faultFor: (op) => (op === 'pull' ? MANIFEST_UNKNOWN : undefined) },
        { DOCKER_IMAGE: 'example/missing:1.0' },
      );

      const { answer, body } = await post(stand, 'atask-f9');

      expect(answer.status).toBe(500);
      expect(answer.headers.get('retry-after')).toBeNull();
      expect(body.error.code).toBe('configuration_error');
      expect(body.error.message).toContain(
        'Docker cannot pull example/missing:1.0 (DOCKER_IMAGE): manifest for',
      );
      expect(body.error.message).toContain('Build or load the image on this machine');
      expect(docker.calls.pull).toBe(1);
      expect(docker.containers.size).toBe(0);
    });
  });
});
