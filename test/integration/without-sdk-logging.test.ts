import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientOptions } from '../../lambda/aws/client-options.js';
import { withoutSdkLogging } from '../../lambda/aws/without-sdk-logging.js';
import { AwsStandIn } from '../support/aws-stand-in.js';

describe('withoutSdkLogging', () => {
  const standIn = new AwsStandIn();
  let endpoint: string;

  beforeAll(async () => {
    endpoint = await standIn.start();
  });
  afterAll(() => standIn.stop());

  const client = () =>
    new ECSClient({
      maxAttempts: 1,
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'AKIDLEAN', secretAccessKey: 'lean-secret' },
      ...awsClientOptions(),
    });

  it('removes only the logger middleware from the client stack', () => {
    const full = client().middlewareStack.identify();

    const lean = withoutSdkLogging(client()).middlewareStack.identify();

    expect(full.some((entry) => entry.startsWith('loggerMiddleware'))).toBe(true);
    expect(lean).toEqual(full.filter((entry) => !entry.startsWith('loggerMiddleware')));
  });

  it('still signs, sends and parses a RunTask, and still surfaces service errors', async () => {
    const ecs = withoutSdkLogging(client());

    const answer = await ecs.send(
      new RunTaskCommand({ cluster: 'agents', taskDefinition: 'scalr-agent', clientToken: 'lean-1' }),
      { abortSignal: AbortSignal.timeout(5_000) },
    );
    const refused = await ecs
      .send(
        new RunTaskCommand({
          cluster: 'agents',
          taskDefinition: 'scalr-agent',
          clientToken: 'lean-1',
          count: 2,
        }),
        {
          abortSignal: AbortSignal.timeout(5_000),
        },
      )
      .catch((error: unknown) => error as { name?: string });

    expect(answer.tasks?.[0]?.taskArn).toBe(standIn.tasks[0]?.taskArn);
    expect([...standIn.accessKeyIds]).toEqual(['AKIDLEAN']);
    expect(refused).toMatchObject({ name: 'ConflictException' });
  });
});
