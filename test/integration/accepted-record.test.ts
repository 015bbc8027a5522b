import { afterEach, describe, expect, it } from 'vitest';
import { Logger } from '../../lambda/log/logger.js';
import { Harness, scalrBody } from '../support/harness.js';

/** The `launch accepted` line feeds the deployed task trail through a log subscription. */
describe('the launch-accepted line under LOG_LEVEL=error', () => {
  let harness: Harness;
  afterEach(() => harness.stop());

  async function acceptedLines(env: Record<string, string>): Promise<string[]> {
    const lines: string[] = [];
    harness = await new Harness().start(env, { logger: new Logger((line) => lines.push(line), 'error') });
    const answer = await harness.deliver({ body: scalrBody('atask-record-1') });
    expect(answer.statusCode).toBe(202);
    return lines.filter((line) => line.includes('"launch accepted"'));
  }

  it('is still written when the trail table is configured: turning logging down keeps the trail', async () => {
    const lines = await acceptedLines({ TRAIL_TABLE_NAME: 'pool-trail' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ taskId: 'atask-record-1', outcome: 'launched' });
  });

  it('follows LOG_LEVEL like any info line when no trail reads it', async () => {
    expect(await acceptedLines({})).toEqual([]);
  });
});
