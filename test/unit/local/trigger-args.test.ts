import { describe, expect, it } from 'vitest';
import { DEFAULT_URL, parseTriggerArgs } from '../../../local/trigger/trigger-args.js';

describe('parseTriggerArgs', () => {
  it('takes url, api key and secret from the environment when no flag is given', () => {
    const parsed = parseTriggerArgs([], {
      DISPATCHER_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/trigger',
      API_KEY: 'k',
      WEBHOOK_SECRET: 's',
    });

    expect(parsed).toEqual({
      kind: 'run',
      options: {
        url: 'https://abc.execute-api.us-east-1.amazonaws.com/prod/trigger',
        apiKey: 'k',
        secret: 's',
        taskId: undefined,
        action: 'plan',
        count: 1,
        concurrency: 1,
        timeoutMs: 30_000,
      },
    });
  });

  it('lets flags win over environment variables', () => {
    const parsed = parseTriggerArgs(['--url', 'http://127.0.0.1:9/trigger', '--secret', 'flag'], {
      DISPATCHER_URL: 'http://example.invalid/x',
      WEBHOOK_SECRET: 'env',
    });

    expect(parsed).toMatchObject({
      kind: 'run',
      options: { url: 'http://127.0.0.1:9/trigger', secret: 'flag' },
    });
  });

  it('defaults to the local server URL', () => {
    expect(parseTriggerArgs(['--secret', 's'], {})).toMatchObject({ options: { url: DEFAULT_URL } });
  });

  it('caps concurrency at the count', () => {
    const parsed = parseTriggerArgs(['--secret', 's', '--count', '3', '--concurrency', '50'], {});

    expect(parsed).toMatchObject({ options: { count: 3, concurrency: 3 } });
  });

  it('requires the secret, naming the flag and the variable', () => {
    expect(parseTriggerArgs([], {})).toEqual({
      kind: 'error',
      message: '--secret (or WEBHOOK_SECRET) is required: the webhook secret',
    });
  });

  it.each([
    [['--count', '0'], '--count is "0": expected a whole number from 1 to 10000'],
    [['--concurrency', '1.5'], '--concurrency is "1.5": expected a whole number from 1 to 256'],
    [['--url', 'ftp://x'], '--url is "ftp://x": expected an http(s) URL'],
    [['--task-id', 'bad id'], '--task-id is "bad id": expected a Scalr id such as atask-v0abc123'],
  ])('rejects %j with a message naming the option', (argv, message) => {
    expect(parseTriggerArgs([...argv, '--secret', 's'], {})).toEqual({ kind: 'error', message });
  });

  it('rejects unknown options', () => {
    expect(parseTriggerArgs(['--nope'], {})).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--nope'),
    });
  });

  it('asks for help with --help or -h, whatever else is given', () => {
    expect(parseTriggerArgs(['-h'], {})).toEqual({ kind: 'help' });
    expect(parseTriggerArgs(['--count', '0', '--help'], {})).toEqual({ kind: 'help' });
  });
});
