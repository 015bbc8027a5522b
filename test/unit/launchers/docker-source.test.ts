import { describe, expect, it } from 'vitest';
import { type DockerConfig, loadDockerConfig } from '../../../lambda/launchers/docker/docker-config.js';
import type { EngineAnswer, EngineApi } from '../../../lambda/launchers/docker/docker-engine.js';
import { DockerLauncher } from '../../../lambda/launchers/docker/docker-launcher.js';

const CONFIG: DockerConfig = {
  endpoint: { kind: 'unix', socketPath: '/tmp/docker-unit.sock' },
  endpointText: 'unix:///tmp/docker-unit.sock',
  image: 'example/agent:1.0',
  scalrUrl: 'https://example.scalr.io',
};

/** Answers like a healthy engine and keeps the container create body. */
function capturingEngine() {
  const created: { Env: string[]; Labels: Record<string, string> }[] = [];
  const engine: EngineApi = {
    call: async (method, path, options) => {
      if (path.startsWith('/containers/create')) {
        created.push(options.body as (typeof created)[number]);
        return { status: 201, body: '{"Id":"c0ffee"}' } as EngineAnswer;
      }
      if (path.startsWith('/images/')) return { status: 200, body: '{}' } as EngineAnswer;
      return (
        method === 'GET'
          ? { status: 200, body: '{"Id":"c0ffee","State":{"Status":"running"}}' }
          : { status: 204, body: '' }
      ) as EngineAnswer;
    },
  };
  return { engine, created };
}

async function createdFor(config: DockerConfig) {
  const { engine, created } = capturingEngine();
  await new DockerLauncher({
    config,
    engine,
    agentToken: async () => 'tok-unit',
    retryAfterSeconds: 5,
  }).launch({
    dedupKey: 'k-1',
    taskId: 'k-1',
    manual: false,
    deadline: Date.now() + 5_000,
  });
  return created[0];
}

describe('DockerLauncher names its agents by source', () => {
  it('keeps the Scalr variables and labels for Scalr agents', async () => {
    const body = await createdFor(CONFIG);

    expect(body?.Env).toContain('SCALR_AGENT_TOKEN=tok-unit');
    expect(body?.Env).toContain('SCALR_URL=https://example.scalr.io');
    expect(body?.Labels['scalr.task-id']).toBe('k-1');
  });

  it("gives env0 agents env0's variable names and env0 labels, nothing named scalr", async () => {
    const body = await createdFor({ ...CONFIG, scalrUrl: '', source: 'env0' });

    expect(body?.Env).toContain('AGENT_ACCESS_TOKEN=tok-unit');
    expect(body?.Env).toContain('DISPATCH_SOURCE=env0');
    expect(body?.Labels).toMatchObject({ 'dispatcher.source': 'env0', 'env0.slot': 'k-1' });
    expect(JSON.stringify(body)).not.toMatch(/scalr/i);
  });

  it('needs SCALR_URL only for Scalr agents', () => {
    expect(() => loadDockerConfig({})).toThrow(/SCALR_URL/);
    expect(loadDockerConfig({ AGENT_SOURCE: 'env0' })).toMatchObject({ source: 'env0', scalrUrl: '' });
  });
});
