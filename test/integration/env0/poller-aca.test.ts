import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../../lambda/log/logger.js';
import { createPoller } from '../../../lambda/poller/create-poller.js';
import { AcaRig, CLIENT_SECRET } from '../../support/aca-rig.js';
import { ENV0_TOKEN } from '../../support/env0-rig.js';
import { QueueStateStandIn } from '../../support/queue-state-stand-in.js';

let rig: AcaRig;
let queue: QueueStateStandIn;

afterEach(async () => {
  await rig.stop();
  await queue.stop();
});

/** Pollers on the ACA target: real Azure SDK against the stand-in, real DynamoDB ledger and pool record (dynalite). */
async function pollers() {
  rig = await new AcaRig({ clientSecret: CLIENT_SECRET }).start();
  queue = new QueueStateStandIn(ENV0_TOKEN);
  const url = await queue.start();
  const logs: string[] = [];
  const make = () =>
    createPoller(
      {
        ...process.env,
        LAUNCH_TARGET: 'aca',
        ACA_SUBSCRIPTION_ID: '11111111-2222-4333-8444-555555555555',
        ACA_RESOURCE_GROUP: 'rg-agents',
        ACA_JOB_NAME: 'scalr-agent',
        AZURE_AUTH: 'client-secret',
        AZURE_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:azure-AbCdEf',
        AZURE_AUTHORITY_HOST: rig.endpoint,
        ACA_ARM_ENDPOINT: rig.endpoint,
        LEDGER_TABLE_NAME: 'dispatcher-dedup',
        AGENT_TOKEN: ENV0_TOKEN,
        QUEUE_STATE_URL: url,
        POLL_BUDGET_MS: '8000',
      },
      { logger: new Logger((line) => logs.push(line), 'debug') },
    );
  rig.harness.standIn.secrets.set(
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:azure-AbCdEf',
    JSON.stringify({
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      clientId: '0b1f4c6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b',
      clientSecret: CLIENT_SECRET,
    }),
  );
  return { make, logs };
}

describe('env0 poller on Azure Container Apps', () => {
  it('starts one execution per pending task, none more while they are still processing', async () => {
    const { make } = await pollers();
    rig.azure.statusOf = () => 'Processing';
    const { poller } = await make();
    queue.pendingCount = 3;

    const first = await poller.pollOnce();
    const second = await poller.pollOnce();

    expect(first).toMatchObject({ outcome: 'launched', started: 3 });
    expect(second).toMatchObject({ outcome: 'idle', active: 3, starting: 3, started: 0 });
    expect(rig.azure.executions).toHaveLength(3);
  });

  it('lets only one of two overlapping pollers launch, through the shared DynamoDB lease', async () => {
    const { make } = await pollers();
    rig.azure.statusOf = () => 'Processing';
    const [a, b] = await Promise.all([make(), make()]);
    queue.pendingCount = 2;

    const reports = await Promise.all([a.poller.pollOnce(), b.poller.pollOnce()]);

    expect(reports.map((r) => r.outcome).sort()).toEqual(['busy', 'launched']);
    expect(rig.azure.executions).toHaveLength(2);
  });

  it('frees the slots of executions that succeeded', async () => {
    const { make } = await pollers();
    const { poller } = await make();
    queue.pendingCount = 1;
    await poller.pollOnce();

    rig.azure.statusOf = () => 'Succeeded';
    const next = await poller.pollOnce();

    expect(next).toMatchObject({ active: 0, started: 1 });
    expect(rig.azure.executions).toHaveLength(2);
  });
});
