import { chmod } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDockerHost } from '../../../lambda/launchers/docker/docker-config.js';
import {
  DockerEngine,
  EngineTimeoutError,
  EngineUnreachableError,
} from '../../../lambda/launchers/docker/docker-engine.js';
import { type DockerFault, DockerStandIn } from '../../support/docker-stand-in.js';

describe('DockerEngine failures', () => {
  let docker: DockerStandIn | undefined;
  afterEach(async () => {
    await docker?.stop();
    docker = undefined;
  });

  async function engine(options: { tcp?: boolean; fault?: DockerFault } = {}) {
    docker = new DockerStandIn({ faultFor: () => options.fault });
    return new DockerEngine(parseDockerHost(await docker.start({ tcp: options.tcp })));
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => {
        throw new Error('expected the call to fail');
      },
      (error: Error) => error,
    );
  }

  it('reports a stopped engine whose socket is gone as down (ENOENT)', async () => {
    const client = await engine();
    await docker?.down();

    const error = await failure(client.call('GET', '/images/x/json', { signal: AbortSignal.timeout(2_000) }));

    expect(error).toBeInstanceOf(EngineUnreachableError);
    expect(error).toMatchObject({ code: 'ENOENT', kind: 'down' });
  });

  it('reports a stopped engine on TCP as down (ECONNREFUSED)', async () => {
    const client = await engine({ tcp: true });
    await docker?.down();

    const error = await failure(client.call('GET', '/images/x/json', { signal: AbortSignal.timeout(2_000) }));

    expect(error).toMatchObject({ code: 'ECONNREFUSED', kind: 'down' });
  });

  it('answers again once the engine is back up', async () => {
    const client = await engine({ tcp: true });
    await docker?.down();
    await docker?.up();

    const answer = await client.call('GET', '/images/x/json', { signal: AbortSignal.timeout(2_000) });

    expect(answer.status).toBe(404);
  });

  it('reports a dropped connection as lost (ECONNRESET), which a retry may fix', async () => {
    const client = await engine({ fault: 'reset' });

    const error = await failure(client.call('GET', '/images/x/json', { signal: AbortSignal.timeout(2_000) }));

    expect(error).toMatchObject({ code: 'ECONNRESET', kind: 'lost' });
  });

  it.each(['hang', 'stall'] as const)(
    'gives up on an engine that does not finish (%s) when the signal fires',
    async (fault) => {
      const client = await engine({ fault });
      const started = Date.now();

      const error = await failure(
        client.call('POST', '/images/create?fromImage=x', { signal: AbortSignal.timeout(300) }),
      );

      expect(error).toBeInstanceOf(EngineTimeoutError);
      expect(Date.now() - started).toBeLessThan(1_500);
    },
  );

  it('reports a socket this user may not open as a wrong setting (EACCES)', async (context) => {
    if (process.getuid?.() === 0) context.skip(); // root opens any socket
    const client = await engine();
    await chmod(docker?.socketPath ?? '', 0o000);

    const error = await failure(client.call('GET', '/images/x/json', { signal: AbortSignal.timeout(2_000) }));

    expect(error).toMatchObject({ code: 'EACCES', kind: 'setting' });
  });

  it('classifies the codes it knows', () => {
    expect(new EngineUnreachableError('EPERM').kind).toBe('setting');
    expect(new EngineUnreachableError('ENOTFOUND').kind).toBe('setting');
    expect(new EngineUnreachableError('EPIPE').kind).toBe('lost');
    expect(new EngineUnreachableError('ECONNREFUSED').kind).toBe('down');
  });
});
