import { afterEach, describe, expect, it } from 'vitest';
import { ArmJobApi } from '../../lambda/launchers/aca/arm-job-api.js';
import { armClient, azureStandIn, CLIENT_SECRET } from '../support/aca-rig.js';
import type { AzureStandIn, AzureStandInOptions } from '../support/azure-stand-in.js';

// The start is the one ARM call in the webhook's path that does work: it must be exactly one POST.
// The SDK's own jobs.beginStart (arm-appcontainers 3.0.0) polls the operation once before it returns,
// a second call that ARM may answer late or with a 5xx after the start was accepted.
describe('ArmJobApi.start through the real ARM client', () => {
  let standIn: AzureStandIn;
  afterEach(() => standIn?.stop());

  async function start(options: Partial<AzureStandInOptions> = {}) {
    standIn = azureStandIn({ clientSecret: CLIENT_SECRET, ...options });
    const client = armClient(await standIn.start());
    return { client, api: new ArmJobApi(client, 'rg-agents', 'scalr-agent') };
  }

  const template = {
    containers: [
      {
        name: 'agent',
        image: 'scalr/agent:latest',
        resources: { cpu: 2, memory: '4Gi' },
        env: [
          { name: 'SCALR_AGENT_TOKEN', secretRef: 'scalr-agent-token' },
          { name: 'DISPATCH_DEDUP_KEY', value: 'k1' },
        ],
      },
    ],
  };

  it.each(['200', '202-with-body', '202-no-body'] as const)(
    'sends one POST .../start with the client api-version and nothing else (start answered %s)',
    async (startMode) => {
      const { client, api } = await start({ startMode });

      const started = await api.start(template, AbortSignal.timeout(5_000));

      expect(standIn.armRequests).toEqual([`POST ${standIn.jobPath}/start?api-version=${client.apiVersion}`]);
      expect(standIn.unknownPaths).toEqual([]);
      const execution = standIn.executions[0];
      expect(standIn.executions).toHaveLength(1);
      expect(started.status).toBe(startMode === '200' ? 200 : 202);
      if (startMode === '202-no-body') {
        expect(started).toMatchObject({ name: undefined, id: undefined });
      } else {
        expect(started).toMatchObject({ name: execution?.name, id: execution?.id });
      }
      if (startMode === '200') expect(started.operation).toBeUndefined();
      else expect(started.operation).toContain('/containerappOperationResults/');
    },
  );

  it('sends the same body as the SDK jobs.beginStart', async () => {
    const { client, api } = await start();

    await api.start(template, AbortSignal.timeout(5_000));
    await client.jobs.beginStart('rg-agents', 'scalr-agent', { template });

    const [ours, sdk] = standIn.executions.map((execution) => execution.template);
    expect(ours).toEqual(template);
    expect(ours).toEqual(sdk);
    expect(new Set(standIn.armRequests).size).toBe(1);
  });

  it('carries ARM error code, status and Retry-After on a refused start', async () => {
    const { api } = await start({
      faultFor: (operation) =>
        operation === 'StartJob'
          ? { kind: 'status', status: 429, code: 'TooManyRequests', retryAfter: '7' }
          : undefined,
    });

    const refused = await api.start(template, AbortSignal.timeout(5_000)).catch((error: unknown) => error);

    expect(refused).toMatchObject({ statusCode: 429, code: 'TooManyRequests' });
    expect(
      (
        refused as { response?: { headers: { get(name: string): string | undefined } } }
      ).response?.headers.get('retry-after'),
    ).toBe('7');
    expect(standIn.armRequests).toHaveLength(1);
  });
});
