import { describe, expect, it } from 'vitest';
import { Logger } from '../../../lambda/log/logger.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error') {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger((line) => lines.push(JSON.parse(line)), level, { requestId: 'r-1' });
  return { logger, lines };
}

describe('Logger', () => {
  it('drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((line) => line.message)).toEqual(['loud']);
  });

  it('writes a record line whatever the level: the task trail reads it', () => {
    const { logger, lines } = capture('error');
    logger.info('dropped');
    logger.child({ taskId: 't-1' }).record('launch accepted', { outcome: 'launched' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'launch accepted',
      requestId: 'r-1',
      taskId: 't-1',
      outcome: 'launched',
    });
  });
});
