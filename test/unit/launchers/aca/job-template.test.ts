import { describe, expect, it } from 'vitest';
import {
  baseExecutionTemplate,
  executionTemplateFor,
} from '../../../../lambda/launchers/aca/job-template.js';
import { azureLocationName, TemplateCache } from '../../../../lambda/launchers/aca/template-cache.js';
import type { LaunchRequest } from '../../../../lambda/launchers/launcher.js';

const REQUEST: LaunchRequest = {
  dedupKey: 'atask-1',
  taskId: 'atask-1',
  manual: false,
  action: 'apply',
  runId: 'run-1',
  deadline: 0,
};

describe('job template override', () => {
  it('copies every container and adds the context to the agent container only', () => {
    const base = baseExecutionTemplate(
      {
        containers: [
          { name: 'sidecar', image: 'proxy:1', env: [{ name: 'A', value: '1' }] },
          { name: 'agent', image: 'scalr/agent:1', env: [{ name: 'DISPATCH_TASK_ID', value: 'stale' }] },
        ],
      },
      'job',
      'agent',
    );

    const template = executionTemplateFor(base, REQUEST);

    expect(template.containers?.[0]).toEqual({
      name: 'sidecar',
      image: 'proxy:1',
      env: [{ name: 'A', value: '1' }],
    });
    const env = template.containers?.[1]?.env ?? [];
    expect(env.filter((v) => v.name === 'DISPATCH_TASK_ID')).toEqual([
      { name: 'DISPATCH_TASK_ID', value: 'atask-1' },
    ]);
    expect(env).toContainEqual({ name: 'DISPATCH_ACTION', value: 'apply' });
    expect(env).toContainEqual({ name: 'DISPATCH_DEDUP_KEY', value: 'atask-1' });
  });

  it('keeps a secret reference as a reference, without a value', () => {
    const base = baseExecutionTemplate(
      {
        containers: [{ name: 'agent', env: [{ name: 'SCALR_AGENT_TOKEN', secretRef: 'token', value: '' }] }],
      },
      'job',
      undefined,
    );

    expect(executionTemplateFor(base, REQUEST).containers?.[0]?.env?.[0]).toEqual({
      name: 'SCALR_AGENT_TOKEN',
      secretRef: 'token',
    });
  });

  it('keeps the value of a plain variable that ARM answers with "secretRef": null', () => {
    // ARM's JSON for a plain variable; the SDK's deserializer keeps the null.
    const fromArm = JSON.parse('{"name":"SCALR_URL","value":"https://example.scalr.io","secretRef":null}');
    const base = baseExecutionTemplate({ containers: [{ name: 'agent', env: [fromArm] }] }, 'job', undefined);

    const sent = JSON.parse(JSON.stringify(executionTemplateFor(base, REQUEST)));

    expect(sent.containers[0].env[0]).toEqual({ name: 'SCALR_URL', value: 'https://example.scalr.io' });
  });

  it('refuses a plain agent token even when ARM marks it "secretRef": null', () => {
    const fromArm = JSON.parse('{"name":"SCALR_AGENT_TOKEN","value":"plain","secretRef":null}');

    expect(() =>
      baseExecutionTemplate({ containers: [{ name: 'agent', env: [fromArm] }] }, 'job', undefined),
    ).toThrow('job secret');
  });

  it("repeats the job's init containers, with their secret references, and leaves out what cannot be carried", () => {
    const base = baseExecutionTemplate(
      {
        initContainers: [
          {
            name: 'fetch-plugins',
            image: 'busybox:1',
            command: ['sh', '-c'],
            args: ['cp -r /src /plugins'],
            env: [{ name: 'TOKEN', secretRef: 'plugin-token' }],
            volumeMounts: [{ volumeName: 'plugins', mountPath: '/plugins' }],
          },
        ],
        containers: [
          {
            name: 'agent',
            image: 'scalr/agent:1',
            volumeMounts: [{ volumeName: 'plugins', mountPath: '/plugins' }],
            probes: [{ type: 'Liveness', tcpSocket: { port: 8080 } }],
          },
        ],
        volumes: [{ name: 'plugins', storageType: 'EmptyDir' }],
      },
      'job',
      'agent',
    );

    const template = executionTemplateFor(base, REQUEST);

    expect(template.initContainers).toEqual([
      {
        name: 'fetch-plugins',
        image: 'busybox:1',
        command: ['sh', '-c'],
        args: ['cp -r /src /plugins'],
        env: [{ name: 'TOKEN', secretRef: 'plugin-token' }],
      },
    ]);
    expect(template.initContainers?.[0]?.env).not.toContainEqual(
      expect.objectContaining({ name: 'DISPATCH_TASK_ID' }),
    );
    expect(Object.keys(template.containers?.[0] ?? {})).not.toContain('volumeMounts');
    expect(Object.keys(template.containers?.[0] ?? {})).not.toContain('probes');
  });

  it('sends no initContainers field for a job without init containers', () => {
    const base = baseExecutionTemplate({ containers: [{ name: 'agent' }] }, 'job', undefined);

    expect(Object.keys(executionTemplateFor(base, REQUEST))).toEqual(['containers']);
  });

  it('refuses a job that holds the agent token as a plain value', () => {
    expect(() =>
      baseExecutionTemplate(
        { containers: [{ name: 'agent', env: [{ name: 'SCALR_AGENT_TOKEN', value: 'plain' }] }] },
        'job',
        undefined,
      ),
    ).toThrow('job secret');
  });

  it('names ACA_CONTAINER_NAME when no container has that name', () => {
    expect(() => baseExecutionTemplate({ containers: [{ name: 'agent' }] }, 'job', 'runner')).toThrow(
      'ACA_CONTAINER_NAME',
    );
  });
});

describe('TemplateCache shared reads', () => {
  const JOB = { template: { containers: [{ name: 'agent', image: 'scalr/agent:1.6.0' }] } };

  it("lets each caller wait only until its own signal, without failing the others' shared read", async () => {
    let finish: (value: typeof JOB) => void = () => {};
    const cache = new TemplateCache(() => new Promise((resolve) => (finish = resolve)), {
      jobName: 'scalr-agent',
      containerName: undefined,
      ttlMs: 60_000,
    });
    const impatient = new AbortController();

    const first = cache.get(impatient.signal);
    const second = cache.get(AbortSignal.timeout(5_000));
    impatient.abort(new Error('first caller gave up'));
    finish(JOB);

    await expect(first).rejects.toThrow('first caller gave up');
    expect((await second).containers[0]?.name).toBe('agent');
  });
});

describe('the job location kept with the template', () => {
  const job = (location?: string) => ({
    location,
    template: { containers: [{ name: 'agent', image: 'scalr/agent:1.6.0' }] },
  });
  const cacheOf = (location?: string) =>
    new TemplateCache(async () => job(location), {
      jobName: 'scalr-agent',
      containerName: undefined,
      ttlMs: 60_000,
    });

  it('gives the programmatic name of the location ARM writes in display form', async () => {
    const cache = cacheOf('West Europe');
    expect(cache.location).toBeUndefined();

    const base = await cache.get(AbortSignal.timeout(5_000));

    expect(base.location).toBe('westeurope');
    expect(cache.location).toBe('westeurope');
    expect(azureLocationName('eastus2')).toBe('eastus2');
    expect(azureLocationName(' ')).toBeUndefined();
  });

  it('has no location when ARM gives none, and never sends it in a start body', async () => {
    expect((await cacheOf(undefined).get(AbortSignal.timeout(5_000))).location).toBeUndefined();
    const base = await cacheOf('North Europe').get(AbortSignal.timeout(5_000));

    expect(Object.keys(executionTemplateFor(base, REQUEST))).toEqual(['containers']);
  });
});
