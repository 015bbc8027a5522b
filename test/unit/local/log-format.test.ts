import { describe, expect, it } from 'vitest';
import { Logger } from '../../../lambda/log/logger.js';
import { localLogSink, logFormatFrom, readableLine } from '../../../local/log-format.js';

function terminal(isTTY: boolean) {
  const written: string[] = [];
  return { isTTY, written, write: (text: string) => written.push(text) };
}

describe('local log format', () => {
  it('is readable text on a terminal and JSON when piped; LOG_FORMAT overrides both ways', () => {
    expect(logFormatFrom({}, true)).toBe('text');
    expect(logFormatFrom({}, false)).toBe('json');
    expect(logFormatFrom({ LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormatFrom({ LOG_FORMAT: 'TEXT' }, false)).toBe('text');
    expect(logFormatFrom({ LOG_FORMAT: 'yaml' }, false)).toBe('json');
  });

  it('prints one short line per event on a TTY: time, level, message, task, outcome', () => {
    const tty = terminal(true);
    const logger = new Logger(localLogSink({}, tty), 'info');

    logger.info('launch accepted', {
      taskId: 'atask-1',
      outcome: 'launched',
      platform: 'dry-run',
      launchId: 'x',
    });

    expect(tty.written).toHaveLength(1);
    expect(tty.written[0]).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}launch accepted task=atask-1 outcome=launched\n$/,
    );
  });

  it('keeps one raw JSON object per line when piped or with LOG_FORMAT=json', () => {
    for (const [env, stream] of [
      [{}, terminal(false)],
      [{ LOG_FORMAT: 'json' }, terminal(true)],
    ] as const) {
      new Logger(localLogSink(env, stream), 'info').warn('poll', {
        outcome: 'skipped',
        reason: 'lease_held',
      });
      expect(JSON.parse(stream.written[0] as string)).toMatchObject({
        level: 'warn',
        message: 'poll',
        reason: 'lease_held',
      });
    }
  });

  it('shows the reason and the error of a failure, and passes a non-JSON line through', () => {
    const line = readableLine(
      JSON.stringify({
        time: '2026-12-04T17:00:01.234Z',
        level: 'error',
        message: 'poll failed',
        reason: 'queue_unauthorized',
        error: 'queue-state answered 401',
      }),
    );

    expect(line).toBe(
      '17:00:01.234 ERROR poll failed reason=queue_unauthorized error=queue-state answered 401',
    );
    expect(readableLine('not json')).toBe('not json');
  });
});
